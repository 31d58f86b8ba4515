#include "controlsocket.h"

#include <chrono>

#include <QDir>
#include <QLocalSocket>

namespace countersign::gateway {

namespace {
constexpr int maxLineBytes = 256;
constexpr std::chrono::milliseconds clientTimeout{2000};
} // namespace

QString ControlSocket::pathFor(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("control.sock"));
}

ControlSocket::ControlSocket(QObject *parent)
    : QObject(parent)
{
    m_server.setSocketOptions(QLocalServer::UserAccessOption);
    connect(&m_server, &QLocalServer::newConnection, this, [this] {
        while (QLocalSocket *client = m_server.nextPendingConnection()) {
            connect(client, &QLocalSocket::disconnected, client, &QObject::deleteLater);
            connect(client, &QLocalSocket::readyRead, this, [this, client] {
                while (client->canReadLine()) {
                    const QByteArray line = client->readLine(maxLineBytes).trimmed();
                    if (line.startsWith("revoke "))
                        Q_EMIT deviceRevoked(QString::fromUtf8(line.mid(7)));
                }
                if (client->bytesAvailable() > maxLineBytes)
                    client->abort();
            });
        }
    });
}

Status ControlSocket::listen(const QString &dataDir)
{
    const QString path = pathFor(dataDir);
    // A socket file left by a gateway that crashed would block listen().
    QLocalServer::removeServer(path);
    if (!m_server.listen(path)) {
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("cannot listen on the control socket %1: %2")
                             .arg(path, m_server.errorString()));
    }
    return Ok{};
}

bool ControlSocket::notifyDeviceRevoked(const QString &dataDir, const QString &deviceId)
{
    QLocalSocket socket;
    socket.connectToServer(pathFor(dataDir));
    if (!socket.waitForConnected(static_cast<int>(clientTimeout.count())))
        return false;
    socket.write("revoke " + deviceId.toUtf8() + '\n');
    const bool written = socket.waitForBytesWritten(static_cast<int>(clientTimeout.count()));
    socket.disconnectFromServer();
    return written;
}

} // namespace countersign::gateway
