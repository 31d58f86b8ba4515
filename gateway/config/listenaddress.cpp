#include "listenaddress.h"

namespace countersign::gateway {

namespace {

Error listenError(const QString &message)
{
    return makeError(ErrorCode::ConfigError, message);
}

} // namespace

Result<ListenAddress> ListenAddress::parse(QStringView text)
{
    const auto expected =
        QStringLiteral("expected HOST:PORT, for example \"127.0.0.1:8780\" or \"[::1]:8780\"");
    text = text.trimmed();
    QStringView host;
    QStringView port;
    if (text.startsWith(u'[')) {
        const qsizetype close = text.indexOf(u']');
        if (close < 0 || close + 1 >= text.size() || text.at(close + 1) != u':') {
            return listenError(expected);
        }
        host = text.mid(1, close - 1);
        port = text.mid(close + 2);
        if (!host.contains(u':')) {
            return listenError(QStringLiteral("brackets are only for IPv6 addresses; ") + expected);
        }
    } else {
        const qsizetype colon = text.lastIndexOf(u':');
        if (colon < 0) {
            return listenError(expected);
        }
        host = text.first(colon);
        port = text.mid(colon + 1);
        if (host.contains(u':')) {
            return listenError(QStringLiteral("write IPv6 addresses in brackets, as in "
                                              "\"[::1]:8780\""));
        }
    }
    if (host.isEmpty()) {
        return listenError(QStringLiteral("the host is missing; ") + expected);
    }

    bool portIsNumber = !port.isEmpty() && port.size() <= 5;
    for (const QChar c : port) {
        portIsNumber = portIsNumber && c >= u'0' && c <= u'9';
    }
    const int portValue = portIsNumber ? port.toInt() : -1;
    if (portValue < 0 || portValue > 65535) {
        return listenError(QStringLiteral("the port must be a number from 0 to 65535"));
    }

    ListenAddress result;
    result.port = static_cast<quint16>(portValue);
    if (host.compare(u"localhost", Qt::CaseInsensitive) == 0) {
        result.address = QHostAddress(QHostAddress::LocalHost);
        return result;
    }
    if (!result.address.setAddress(host.toString())) {
        return listenError(QStringLiteral("\"%1\" is not an IP address (host names other than "
                                          "localhost are not accepted)")
                               .arg(host));
    }
    // QHostAddress also accepts scope ids ("fe80::1%eth0"); keep them, the
    // server can bind those.
    return result;
}

QString ListenAddress::urlHost() const
{
    if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        return u'[' + address.toString() + u']';
    }
    return address.toString();
}

bool ListenAddress::isLoopback() const
{
    return address.isLoopback();
}

bool ListenAddress::isWildcard() const
{
    return address == QHostAddress(QHostAddress::AnyIPv4)
        || address == QHostAddress(QHostAddress::AnyIPv6)
        || address == QHostAddress(QHostAddress::Any);
}

} // namespace countersign::gateway
