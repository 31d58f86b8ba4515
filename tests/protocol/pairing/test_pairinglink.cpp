#include "protocol/base64url.h"
#include "protocol/pairing/pairinglink.h"

#include <QTest>

using namespace countersign;

namespace {

QString encodedBytes(qsizetype count, char fill)
{
    return QString::fromLatin1(base64UrlEncode(QByteArray(count, fill)));
}

QString validCode()
{
    return encodedBytes(16, '\x5a');
}

QString validKid()
{
    return encodedBytes(32, '\x11');
}

QString validSpki()
{
    return encodedBytes(32, '\x22');
}

struct Param {
    QString name;
    QString value;
};

QList<Param> validParams()
{
    return {
        {QStringLiteral("v"), QStringLiteral("1")},
        {QStringLiteral("gw"), QStringLiteral("https://gw.example.com:8443/cs")},
        {QStringLiteral("code"), validCode()},
        {QStringLiteral("kid"), validKid()},
        {QStringLiteral("name"), QStringLiteral("Example%20Gateway")},
    };
}

QString linkFrom(const QList<Param> &params)
{
    QStringList parts;
    for (const Param &param : params) {
        parts.append(param.name % u'=' % param.value);
    }
    return QStringLiteral("countersign://pair?") % parts.join(u'&');
}

QString validLink()
{
    return linkFrom(validParams());
}

// The valid link with one parameter's raw (already encoded) value replaced.
QString withParam(const QString &name, const QString &value)
{
    QList<Param> params = validParams();
    for (Param &param : params) {
        if (param.name == name) {
            param.value = value;
            return linkFrom(params);
        }
    }
    params.append({name, value});
    return linkFrom(params);
}

QString withoutParam(const QString &name)
{
    QList<Param> params = validParams();
    params.removeIf([&name](const Param &param) { return param.name == name; });
    return linkFrom(params);
}

PairingLink::Fields validFields()
{
    PairingLink::Fields fields;
    fields.gatewayUrl = QUrl(QStringLiteral("https://gw.example.com:8443/cs"));
    fields.code = validCode();
    fields.keyThumbprint = validKid();
    fields.displayName = QStringLiteral("Example Gateway");
    return fields;
}

} // namespace

Q_DECLARE_METATYPE(PairingLink::Fields)

class TestPairingLink : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void roundTripsThroughToString_data();
    void roundTripsThroughToString();
    void toStringHasStableOrderAndEncoding();
    void acceptsEquivalentSpellings_data();
    void acceptsEquivalentSpellings();
    void exposesSpkiDigest();
    void rejectsMalformedLinks_data();
    void rejectsMalformedLinks();
    void createRejectsWhatParseWould_data();
    void createRejectsWhatParseWould();
};

void TestPairingLink::roundTripsThroughToString_data()
{
    QTest::addColumn<PairingLink::Fields>("fields");

    QTest::newRow("https") << validFields();

    PairingLink::Fields fields = validFields();
    fields.spki = validSpki();
    QTest::newRow("https with spki pin") << fields;

    fields = validFields();
    fields.gatewayUrl = QUrl(QStringLiteral("http://localhost:8080"));
    QTest::newRow("http to localhost") << fields;

    fields.gatewayUrl = QUrl(QStringLiteral("http://127.0.0.1:8080/base"));
    QTest::newRow("http to 127.0.0.1") << fields;

    fields.gatewayUrl = QUrl(QStringLiteral("http://127.10.20.30"));
    QTest::newRow("http to elsewhere in 127/8") << fields;

    fields.gatewayUrl = QUrl(QStringLiteral("http://[::1]:9000"));
    QTest::newRow("http to ::1") << fields;

    fields = validFields();
    fields.displayName = QStringLiteral("A&B=C+D %25 #1 / ? \u00e9\u4e2d");
    QTest::newRow("name with separators and non-ASCII") << fields;

    fields.displayName = QString(PairingLink::maxNameLength, QChar(u'n'));
    QTest::newRow("name at 64 characters") << fields;

    fields.displayName.clear();
    for (int i = 0; i < PairingLink::maxNameLength; ++i) {
        fields.displayName += QString::fromUcs4(U"\U0001F510", 1);
    }
    QTest::newRow("name of 64 characters outside the BMP") << fields;

    fields = validFields();
    fields.code = encodedBytes(PairingLink::maxCodeBytes, '\xfe');
    QTest::newRow("longest code") << fields;

    fields.gatewayUrl = QUrl(QStringLiteral("https://gw.example.com/a%20b/c@d"));
    QTest::newRow("gateway path with escapes") << fields;
}

void TestPairingLink::roundTripsThroughToString()
{
    QFETCH(PairingLink::Fields, fields);
    const auto created = PairingLink::create(fields);
    QVERIFY2(created.ok(), qPrintable(created.ok() ? QString() : created.error().message));

    const QString text = created->toString();
    const auto parsed = PairingLink::parse(text);
    QVERIFY2(parsed.ok(), qPrintable(parsed.ok() ? QString() : parsed.error().message));
    QVERIFY(parsed.value() == created.value());
    QCOMPARE(parsed->toString(), text);
    QCOMPARE(parsed->version(), 1);
    QCOMPARE(parsed->gatewayUrl(), fields.gatewayUrl);
    QCOMPARE(parsed->code(), fields.code);
    QCOMPARE(parsed->keyThumbprint(), fields.keyThumbprint);
    QCOMPARE(parsed->spki(), fields.spki);
    QCOMPARE(parsed->displayName(), fields.displayName);
}

void TestPairingLink::toStringHasStableOrderAndEncoding()
{
    PairingLink::Fields fields = validFields();
    fields.spki = validSpki();
    fields.displayName = QStringLiteral("Caf\u00e9 & Co");
    const auto link = PairingLink::create(fields);
    QVERIFY(link.ok());
    QCOMPARE(link->toString(),
             QStringLiteral("countersign://pair?v=1&gw=https://gw.example.com:8443/cs")
                 % QStringLiteral("&code=") % validCode() % QStringLiteral("&kid=") % validKid()
                 % QStringLiteral("&spki=") % validSpki()
                 % QStringLiteral("&name=Caf%C3%A9%20%26%20Co"));
}

void TestPairingLink::acceptsEquivalentSpellings_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("canonical") << validLink();
    QTest::newRow("surrounding whitespace from a paste")
        << (QStringLiteral(" \t\n") % validLink() % QStringLiteral("\r\n "));
    QTest::newRow("upper-case scheme and host") << validLink().replace(
        QStringLiteral("countersign://pair"), QStringLiteral("CounterSign://PAIR"));
    QTest::newRow("slash before the query")
        << validLink().replace(QStringLiteral("pair?"), QStringLiteral("pair/?"));
    QTest::newRow("gw fully percent-encoded") << withParam(
        QStringLiteral("gw"), QStringLiteral("https%3A%2F%2Fgw.example.com%3A8443%2Fcs"));
    QTest::newRow("parameters in another order")
        << (QStringLiteral("countersign://pair?name=Example%20Gateway&kid=") % validKid()
            % QStringLiteral("&code=") % validCode()
            % QStringLiteral("&gw=https://gw.example.com:8443/cs&v=1"));
}

void TestPairingLink::acceptsEquivalentSpellings()
{
    QFETCH(QString, text);
    const auto parsed = PairingLink::parse(text);
    QVERIFY2(parsed.ok(), qPrintable(parsed.ok() ? QString() : parsed.error().message));
    const auto expected = PairingLink::create(validFields());
    QVERIFY(expected.ok());
    QVERIFY(parsed.value() == expected.value());
    QCOMPARE(parsed->toString(), expected->toString());
}

void TestPairingLink::exposesSpkiDigest()
{
    const auto unpinned = PairingLink::parse(validLink());
    QVERIFY(unpinned.ok());
    QVERIFY(!unpinned->hasSpkiPin());
    QVERIFY(unpinned->spkiSha256().isEmpty());

    const auto pinned = PairingLink::parse(withParam(QStringLiteral("spki"), validSpki()));
    QVERIFY(pinned.ok());
    QVERIFY(pinned->hasSpkiPin());
    QCOMPARE(pinned->spkiSha256(), QByteArray(32, '\x22'));
}

void TestPairingLink::rejectsMalformedLinks_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("mentions");

    const auto malformed = ErrorCode::MalformedLink;
    const QString v = QStringLiteral("v");
    const QString gw = QStringLiteral("gw");
    const QString code = QStringLiteral("code");
    const QString kid = QStringLiteral("kid");
    const QString spki = QStringLiteral("spki");
    const QString name = QStringLiteral("name");

    // The link as a whole.
    QTest::newRow("longer than 2048 characters")
        << withParam(name, QString(2048, QChar(u'x'))) << ErrorCode::InputTooLarge
        << QStringLiteral("2048");
    QTest::newRow("empty") << QString() << malformed << QStringLiteral("countersign://");
    QTest::newRow("other scheme") << validLink().replace(QStringLiteral("countersign:"),
                                                         QStringLiteral("https:"))
                                  << malformed << QStringLiteral("countersign://");
    QTest::newRow("scheme without slashes")
        << validLink().replace(QStringLiteral("countersign://"), QStringLiteral("countersign:"))
        << malformed << QStringLiteral("countersign://");
    QTest::newRow("other host") << validLink().replace(QStringLiteral("//pair?"),
                                                       QStringLiteral("//pairing?"))
                                << malformed << QStringLiteral("'pair'");
    QTest::newRow("user info") << validLink().replace(QStringLiteral("//pair?"),
                                                      QStringLiteral("//me@pair?"))
                               << malformed << QStringLiteral("user information");
    QTest::newRow("port") << validLink().replace(QStringLiteral("//pair?"),
                                                 QStringLiteral("//pair:443?"))
                          << malformed << QStringLiteral("port");
    QTest::newRow("path") << validLink().replace(QStringLiteral("//pair?"),
                                                 QStringLiteral("//pair/extra?"))
                          << malformed << QStringLiteral("path");
    QTest::newRow("fragment") << (validLink() % QStringLiteral("#top")) << malformed
                              << QStringLiteral("fragment");
    QTest::newRow("no query") << QStringLiteral("countersign://pair") << malformed
                              << QStringLiteral("'v' is missing");

    // Parameter structure.
    QTest::newRow("stray ampersand")
        << validLink().replace(QStringLiteral("&code="), QStringLiteral("&&code=")) << malformed
        << QStringLiteral("empty parameter");
    QTest::newRow("parameter without '='") << (validLink() % QStringLiteral("&spki")) << malformed
                                           << QStringLiteral("'spki' has no value");
    QTest::newRow("unknown parameter")
        << withParam(QStringLiteral("expires"), QStringLiteral("1")) << malformed
        << QStringLiteral("unknown parameter 'expires'");
    QTest::newRow("parameter name in other case")
        << withParam(QStringLiteral("Code"), validCode()) << malformed
        << QStringLiteral("unknown parameter 'Code'");
    QTest::newRow("code twice") << (validLink() % QStringLiteral("&code=") % validCode())
                                << malformed << QStringLiteral("'code' appears more than once");
    QTest::newRow("v twice") << (validLink() % QStringLiteral("&v=1")) << malformed
                             << QStringLiteral("'v' appears more than once");
    QTest::newRow("empty value") << withParam(name, QString()) << malformed
                                 << QStringLiteral("'name' is empty");
    QTest::newRow("empty spki") << withParam(spki, QString()) << malformed
                                << QStringLiteral("'spki' is empty");
    QTest::newRow("unencoded space")
        << withParam(name, QStringLiteral("Example Gateway")) << malformed
        << QStringLiteral("'name' contains a character that must be percent-encoded");
    QTest::newRow("non-ASCII not percent-encoded")
        << withParam(name, QStringLiteral("Caf\u00e9")) << malformed
        << QStringLiteral("'name' contains a character that must be percent-encoded");
    QTest::newRow("malformed percent-escape")
        << withParam(name, QStringLiteral("A%G1")) << malformed
        << QStringLiteral("'name' has a malformed percent-escape");
    QTest::newRow("truncated percent-escape")
        << withParam(name, QStringLiteral("A%4")) << malformed
        << QStringLiteral("'name' has a malformed percent-escape");

    // Required parameters.
    QTest::newRow("v missing") << withoutParam(v) << malformed << QStringLiteral("'v' is missing");
    QTest::newRow("gw missing") << withoutParam(gw) << malformed
                                << QStringLiteral("'gw' is missing");
    QTest::newRow("code missing") << withoutParam(code) << malformed
                                  << QStringLiteral("'code' is missing");
    QTest::newRow("kid missing") << withoutParam(kid) << malformed
                                 << QStringLiteral("'kid' is missing");
    QTest::newRow("name missing") << withoutParam(name) << malformed
                                  << QStringLiteral("'name' is missing");

    // v
    QTest::newRow("v=2") << withParam(v, QStringLiteral("2")) << ErrorCode::UnsupportedVersion
                         << QStringLiteral("'v': pairing link version 2 is not supported");
    QTest::newRow("v=2 with parameters v1 does not know")
        << (withParam(v, QStringLiteral("2")) % QStringLiteral("&expires=1"))
        << ErrorCode::UnsupportedVersion
        << QStringLiteral("'v': pairing link version 2 is not supported");
    QTest::newRow("v=0") << withParam(v, QStringLiteral("0")) << ErrorCode::UnsupportedVersion
                         << QStringLiteral("'v': pairing link version 0 is not supported");
    QTest::newRow("v with leading zero") << withParam(v, QStringLiteral("01")) << malformed
                                         << QStringLiteral("'v' must be a version number");
    QTest::newRow("v not a number") << withParam(v, QStringLiteral("one")) << malformed
                                    << QStringLiteral("'v' must be a version number");
    QTest::newRow("v negative") << withParam(v, QStringLiteral("-1")) << malformed
                                << QStringLiteral("'v' must be a version number");

    // gw
    QTest::newRow("gw not a URL") << withParam(gw, QStringLiteral("https://%5B::1")) << malformed
                                  << QStringLiteral("'gw' is not a valid URL");
    QTest::newRow("gw relative") << withParam(gw, QStringLiteral("gw.example.com")) << malformed
                                 << QStringLiteral("'gw' must be an absolute http or https URL");
    QTest::newRow("gw other scheme")
        << withParam(gw, QStringLiteral("ftp://gw.example.com")) << malformed
        << QStringLiteral("'gw' must be an absolute http or https URL");
    QTest::newRow("gw websocket scheme")
        << withParam(gw, QStringLiteral("wss://gw.example.com")) << malformed
        << QStringLiteral("'gw' must be an absolute http or https URL");
    QTest::newRow("gw without host") << withParam(gw, QStringLiteral("https:///path")) << malformed
                                     << QStringLiteral("'gw' has no host");
    QTest::newRow("gw with user info")
        << withParam(gw, QStringLiteral("https://user:pw%40gw.example.com")) << malformed
        << QStringLiteral("'gw' must not contain user information");
    QTest::newRow("gw with empty user info")
        << withParam(gw, QStringLiteral("https://%40gw.example.com")) << malformed
        << QStringLiteral("'gw' must not contain user information");
    QTest::newRow("gw with port 0") << withParam(gw, QStringLiteral("https://gw.example.com:0"))
                                    << malformed << QStringLiteral("'gw' has port 0");
    QTest::newRow("gw with query") << withParam(gw, QStringLiteral("https://gw.example.com/%3Fa"))
                                   << malformed << QStringLiteral("'gw' must not have a query");
    QTest::newRow("gw with fragment")
        << withParam(gw, QStringLiteral("https://gw.example.com/%23a")) << malformed
        << QStringLiteral("'gw' must not have a fragment");
    QTest::newRow("gw plain http to a public host")
        << withParam(gw, QStringLiteral("http://gw.example.com")) << ErrorCode::InsecureTransport
        << QStringLiteral("'gw' uses plain http");
    QTest::newRow("gw plain http to a private address")
        << withParam(gw, QStringLiteral("http://10.0.0.1:8080")) << ErrorCode::InsecureTransport
        << QStringLiteral("'gw' uses plain http");
    QTest::newRow("gw plain http just outside 127/8")
        << withParam(gw, QStringLiteral("http://128.0.0.1")) << ErrorCode::InsecureTransport
        << QStringLiteral("'gw' uses plain http");
    QTest::newRow("gw plain http to a localhost look-alike")
        << withParam(gw, QStringLiteral("http://localhost.example.com"))
        << ErrorCode::InsecureTransport << QStringLiteral("'gw' uses plain http");

    // code, kid, spki
    QTest::newRow("code with padding")
        << withParam(code, validCode() % QStringLiteral("==")) << malformed
        << QStringLiteral("'code' is not canonical base64url");
    QTest::newRow("code in the standard alphabet")
        << withParam(code, QStringLiteral("%2B") % validCode().mid(1)) << malformed
        << QStringLiteral("'code' is not canonical base64url");
    QTest::newRow("code with non-zero trailing bits")
        << withParam(code, validCode().chopped(1) % QStringLiteral("B")) << malformed
        << QStringLiteral("'code' is not canonical base64url");
    QTest::newRow("code of 15 bytes") << withParam(code, encodedBytes(15, 'c')) << malformed
                                      << QStringLiteral("'code' must encode 16 to 64 bytes");
    QTest::newRow("code of 65 bytes") << withParam(code, encodedBytes(65, 'c')) << malformed
                                      << QStringLiteral("'code' must encode 16 to 64 bytes");
    QTest::newRow("kid of 31 bytes") << withParam(kid, encodedBytes(31, 'k')) << malformed
                                     << QStringLiteral("'kid' must encode exactly 32 bytes");
    QTest::newRow("kid of 33 bytes") << withParam(kid, encodedBytes(33, 'k')) << malformed
                                     << QStringLiteral("'kid' must encode exactly 32 bytes");
    QTest::newRow("kid as hex") << withParam(kid, QString(64, QChar(u'a')) % QStringLiteral("-"))
                                << malformed << QStringLiteral("'kid' is not canonical base64url");
    QTest::newRow("spki of 31 bytes") << withParam(spki, encodedBytes(31, 's')) << malformed
                                      << QStringLiteral("'spki' must encode exactly 32 bytes");
    QTest::newRow("spki with non-zero trailing bits")
        << withParam(spki, validSpki().chopped(1) % QStringLiteral("B")) << malformed
        << QStringLiteral("'spki' is not canonical base64url");

    // name
    QTest::newRow("name of 65 characters") << withParam(name, QString(65, QChar(u'n'))) << malformed
                                           << QStringLiteral("'name' must be 1 to 64 characters");
    QTest::newRow("name with a control character")
        << withParam(name, QStringLiteral("Bell%07")) << malformed
        << QStringLiteral("'name' contains the non-printing character U+0007");
    QTest::newRow("name with a newline")
        << withParam(name, QStringLiteral("Line%0Abreak")) << malformed
        << QStringLiteral("'name' contains the non-printing character U+000A");
    QTest::newRow("name with a C1 control")
        << withParam(name, QStringLiteral("C1%C2%85")) << malformed
        << QStringLiteral("'name' contains the non-printing character U+0085");
    QTest::newRow("name with a bidi override")
        << withParam(name, QStringLiteral("evil%E2%80%AEmoc.elgoog")) << malformed
        << QStringLiteral("'name' contains the non-printing character U+202E");
    QTest::newRow("name with a zero-width space")
        << withParam(name, QStringLiteral("Exa%E2%80%8Bmple")) << malformed
        << QStringLiteral("'name' contains the non-printing character U+200B");
    QTest::newRow("name not UTF-8") << withParam(name, QStringLiteral("Caf%E9")) << malformed
                                    << QStringLiteral("'name' is not valid UTF-8");
    QTest::newRow("name with an encoded surrogate")
        << withParam(name, QStringLiteral("%ED%A0%80")) << malformed
        << QStringLiteral("'name' is not valid UTF-8");
}

void TestPairingLink::rejectsMalformedLinks()
{
    QFETCH(QString, text);
    QFETCH(ErrorCode, code);
    QFETCH(QString, mentions);
    const auto parsed = PairingLink::parse(text);
    QVERIFY2(!parsed.ok(), qPrintable(text));
    QCOMPARE(errorCodeName(parsed.error().code), errorCodeName(code));
    QVERIFY2(parsed.error().message.contains(mentions), qPrintable(parsed.error().message));
}

void TestPairingLink::createRejectsWhatParseWould_data()
{
    QTest::addColumn<PairingLink::Fields>("fields");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("mentions");

    PairingLink::Fields fields = validFields();
    fields.gatewayUrl = QUrl(QStringLiteral("http://gw.example.com"));
    QTest::newRow("plain http to a public host")
        << fields << ErrorCode::InsecureTransport << QStringLiteral("'gw'");

    fields = validFields();
    fields.gatewayUrl = QUrl();
    QTest::newRow("no gateway") << fields << ErrorCode::MalformedLink << QStringLiteral("'gw'");

    fields = validFields();
    fields.code.clear();
    QTest::newRow("no code") << fields << ErrorCode::MalformedLink << QStringLiteral("'code'");

    fields = validFields();
    fields.keyThumbprint = QString::fromLatin1(QByteArray(32, '\x11').toHex());
    QTest::newRow("thumbprint as hex")
        << fields << ErrorCode::MalformedLink << QStringLiteral("'kid'");

    fields = validFields();
    fields.spki = encodedBytes(20, 's');
    QTest::newRow("SHA-1 sized spki")
        << fields << ErrorCode::MalformedLink << QStringLiteral("'spki'");

    fields = validFields();
    fields.displayName.clear();
    QTest::newRow("no name") << fields << ErrorCode::MalformedLink << QStringLiteral("'name'");

    fields = validFields();
    fields.gatewayUrl = QUrl(QStringLiteral("https://gw.example.com/") % QString(2000, u'p'));
    QTest::newRow("link longer than parse accepts")
        << fields << ErrorCode::InputTooLarge << QStringLiteral("2048");
}

void TestPairingLink::createRejectsWhatParseWould()
{
    QFETCH(PairingLink::Fields, fields);
    QFETCH(ErrorCode, code);
    QFETCH(QString, mentions);
    const auto created = PairingLink::create(fields);
    QVERIFY(!created.ok());
    QCOMPARE(errorCodeName(created.error().code), errorCodeName(code));
    QVERIFY2(created.error().message.contains(mentions), qPrintable(created.error().message));
}

QTEST_APPLESS_MAIN(TestPairingLink)
#include "test_pairinglink.moc"
