#include "singleinstance.h"

#include "app/appid.h"

#include <algorithm>
#include <utility>

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QLocalServer>
#include <QLocalSocket>
#include <QLockFile>
#include <QLoggingCategory>
#include <QStandardPaths>
#include <QTimer>
#include <QtEndian>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

namespace countersign {

namespace {

Q_LOGGING_CATEGORY(lcInstance, "countersign.platform.instance")

constexpr char accepted = '\x01';
constexpr qsizetype headerBytes = 4;
// A launch that finds the lock taken may be faster than the instance that
// holds it, which does not listen yet: it tries again this often.
constexpr int retryMs = 50;

QString userPart()
{
#ifdef Q_OS_UNIX
    return QString::number(::getuid());
#else
    QString user = qEnvironmentVariable("USERNAME");
    // Pipe and file names: keep it to characters that are safe in both.
    user.removeIf([](QChar c) { return !c.isLetterOrNumber() && c != u'-' && c != u'_'; });
    return user.isEmpty() ? QStringLiteral("user") : user;
#endif
}

QByteArray frame(const QByteArray &json)
{
    QByteArray bytes(headerBytes, '\0');
    qToBigEndian(static_cast<quint32>(json.size()), bytes.data());
    return bytes + json;
}

// Closes a connection that broke the rules, without answering.
void drop(QLocalSocket *socket)
{
    socket->abort();
    socket->deleteLater();
}

} // namespace

struct SingleInstance::PendingSend {
    QByteArray frame;
    SendCallback done;
    QLocalSocket *socket = nullptr;
    QTimer *deadline = nullptr;
    bool finished = false;
};

SingleInstance::SingleInstance(QObject *parent)
    : SingleInstance(defaultKey(), defaultDirectory(), parent)
{
}

SingleInstance::SingleInstance(const QString &key, const QString &directory, QObject *parent)
    : QObject(parent)
    , m_key(key)
    , m_directory(directory)
{
}

SingleInstance::~SingleInstance()
{
    // The socket goes before the lock: whoever takes the lock next finds no
    // socket of ours.
    if (m_server)
        m_server->close();
    m_lock.reset();
}

QString SingleInstance::defaultKey()
{
    return AppId::id() + QStringLiteral("-") + userPart();
}

QString SingleInstance::defaultDirectory()
{
    return QStandardPaths::writableLocation(QStandardPaths::RuntimeLocation);
}

QString SingleInstance::serverName() const
{
#ifdef Q_OS_UNIX
    return QDir(m_directory).filePath(m_key + QStringLiteral(".socket"));
#else
    // Named pipes have their own namespace; UserAccessOption restricts the
    // pipe to this user.
    return m_key;
#endif
}

QString SingleInstance::lockFilePath() const
{
    return QDir(m_directory).filePath(m_key + QStringLiteral(".lock"));
}

Status SingleInstance::checkDirectory() const
{
    if (m_directory.isEmpty())
        return makeError(ErrorCode::StorageFailure,
                         tr("There is no runtime directory to hold "
                            "the single-instance lock."));
    const QFileInfo info(m_directory);
    if (!info.isDir())
        return makeError(ErrorCode::StorageFailure,
                         tr("The runtime directory %1 does not exist.").arg(m_directory));
#ifdef Q_OS_UNIX
    // Another user who could write here could put a socket of their own in
    // place of the running instance and receive the pairing links.
    if (info.ownerId() != ::getuid()
        || (info.permissions() & (QFileDevice::WriteGroup | QFileDevice::WriteOther)))
        return makeError(
            ErrorCode::StorageFailure,
            tr("The runtime directory %1 is not private to this user.").arg(m_directory));
#endif
    return Ok{};
}

Result<SingleInstance::Role> SingleInstance::start()
{
    if (m_role)
        return *m_role;
    if (m_key.isEmpty() || m_key.contains(u'/') || m_key.contains(u'\\'))
        return makeError(
            ErrorCode::InvalidField,
            QStringLiteral("single instance: the key \"%1\" is not a file name").arg(m_key));
    if (Status directory = checkDirectory(); !directory)
        return directory.error();

    auto lock = std::make_unique<QLockFile>(lockFilePath());
    // A running companion keeps its lock for days: only a lock whose process
    // is gone is stale (QLockFile checks the process id), never an old one.
    lock->setStaleLockTime(0);
    if (!lock->tryLock(0)) {
        if (lock->error() == QLockFile::LockFailedError) {
            m_role = Role::Secondary;
            return Role::Secondary;
        }
        return makeError(ErrorCode::StorageFailure,
                         tr("Could not create the single-instance lock %1.").arg(lockFilePath()));
    }

    // This process holds the lock, so no other instance listens here:
    // whatever sits at the socket's path was left behind by a crash.
    QLocalServer::removeServer(serverName());
    auto *server = new QLocalServer(this);
    server->setSocketOptions(QLocalServer::UserAccessOption);
    server->setMaxPendingConnections(maxConnections);
    connect(server, &QLocalServer::newConnection, this, &SingleInstance::acceptConnections);
    if (!server->listen(serverName())) {
        const QString reason = server->errorString();
        delete server;
        return makeError(ErrorCode::StorageFailure,
                         tr("Could not listen on %1: %2").arg(serverName(), reason));
    }
    m_server = server;
    m_lock = std::move(lock);
    m_role = Role::Primary;
    qCDebug(lcInstance) << "listening on" << serverName();
    return Role::Primary;
}

void SingleInstance::acceptConnections()
{
    while (QLocalSocket *socket = m_server->nextPendingConnection()) {
        if (m_connections >= maxConnections) {
            qCWarning(lcInstance) << "too many connections at once; closing one";
            drop(socket);
            continue;
        }
        ++m_connections;
        connect(socket, &QObject::destroyed, this, [this] { --m_connections; });
        // Never more buffered than one message; a client that takes too long
        // is cut off.
        socket->setReadBufferSize(headerBytes + maxMessageBytes);
        QTimer::singleShot(receiveTimeout, socket, [socket] {
            qCWarning(lcInstance) << "a client did not deliver its message in time";
            drop(socket);
        });
        connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QLocalSocket::readyRead, this, [this, socket] { readMessage(socket); });
        if (socket->bytesAvailable() > 0)
            readMessage(socket);
    }
}

void SingleInstance::readMessage(QLocalSocket *socket)
{
    if (socket->state() != QLocalSocket::ConnectedState)
        return;
    if (socket->bytesAvailable() < headerBytes)
        return;
    const QByteArray header = socket->peek(headerBytes);
    const quint32 length = qFromBigEndian<quint32>(header.constData());
    if (length == 0 || length > static_cast<quint32>(maxMessageBytes)) {
        qCWarning(lcInstance) << "dropped a message of" << length << "bytes";
        drop(socket);
        return;
    }
    if (socket->bytesAvailable() < headerBytes + static_cast<qint64>(length))
        return;
    socket->skip(headerBytes);
    const QByteArray json = socket->read(length);
    const std::optional<QStringList> arguments = decodeMessage(json);
    if (!arguments) {
        qCWarning(lcInstance) << "dropped a message that is not the expected JSON";
        drop(socket);
        return;
    }
    // One message per connection: answer, stop listening to it, and let the
    // client close.
    disconnect(socket, &QLocalSocket::readyRead, this, nullptr);
    socket->write(QByteArray(1, accepted));
    socket->disconnectFromServer();
    Q_EMIT messageReceived(*arguments);
}

void SingleInstance::send(const QStringList &arguments, SendCallback done,
                          std::chrono::milliseconds timeout)
{
    auto pending = std::make_shared<PendingSend>();
    pending->done = std::move(done);

    auto refuseLater = [this, pending](const QString &message) {
        QTimer::singleShot(0, this, [this, pending, message] {
            finishSend(pending, makeError(ErrorCode::InvalidField, message));
        });
    };
    if (m_role != Role::Secondary) {
        refuseLater(QStringLiteral("single instance: only a second instance sends messages"));
        return;
    }
    if (arguments.size() > maxArguments
        || std::any_of(arguments.cbegin(), arguments.cend(), [](const QString &argument) {
               return argument.size() > maxArgumentLength;
           })) {
        refuseLater(tr("The command line is too long to hand to the running Countersign."));
        return;
    }
    const QByteArray json = encodeMessage(arguments);
    if (json.size() > maxMessageBytes) {
        refuseLater(tr("The command line is too long to hand to the running Countersign."));
        return;
    }
    pending->frame = frame(json);

    pending->deadline = new QTimer(this);
    pending->deadline->setSingleShot(true);
    connect(pending->deadline, &QTimer::timeout, this, [this, pending] {
        finishSend(
            pending,
            makeError(ErrorCode::StorageFailure, tr("The running Countersign did not answer.")));
    });
    pending->deadline->start(timeout);
    QTimer::singleShot(0, this, [this, pending] { attemptSend(pending); });
}

void SingleInstance::attemptSend(const std::shared_ptr<PendingSend> &pending)
{
    if (pending->finished)
        return;
    auto *socket = new QLocalSocket(this);
    pending->socket = socket;
    connect(socket, &QLocalSocket::connected, this,
            [socket, pending] { socket->write(pending->frame); });
    connect(socket, &QLocalSocket::readyRead, this, [this, socket, pending] {
        if (socket->read(1) == QByteArray(1, accepted))
            finishSend(pending, Ok{});
        else
            finishSend(pending,
                       makeError(ErrorCode::StorageFailure,
                                 tr("The running Countersign gave an unexpected answer.")));
    });
    connect(socket, &QLocalSocket::errorOccurred, this,
            [this, socket, pending](QLocalSocket::LocalSocketError error) {
                if (pending->finished || pending->socket != socket)
                    return;
                const bool notListeningYet = error == QLocalSocket::ServerNotFoundError
                    || error == QLocalSocket::ConnectionRefusedError;
                if (notListeningYet && socket->state() != QLocalSocket::ConnectedState) {
                    // The lock is taken, so an instance is starting: it will
                    // listen in a moment (the deadline still applies).
                    pending->socket = nullptr;
                    socket->deleteLater();
                    QTimer::singleShot(retryMs, this, [this, pending] { attemptSend(pending); });
                    return;
                }
                if (error == QLocalSocket::PeerClosedError)
                    finishSend(pending,
                               makeError(ErrorCode::StorageFailure,
                                         tr("The running Countersign refused the message.")));
                else
                    finishSend(pending,
                               makeError(ErrorCode::StorageFailure,
                                         tr("Could not reach the running Countersign: %1")
                                             .arg(socket->errorString())));
            });
    socket->connectToServer(serverName());
}

void SingleInstance::finishSend(const std::shared_ptr<PendingSend> &pending, Status status)
{
    if (pending->finished)
        return;
    pending->finished = true;
    if (pending->deadline) {
        pending->deadline->stop();
        pending->deadline->deleteLater();
        pending->deadline = nullptr;
    }
    if (QLocalSocket *socket = std::exchange(pending->socket, nullptr)) {
        socket->disconnect(this);
        socket->abort();
        socket->deleteLater();
    }
    if (pending->done)
        pending->done(std::move(status));
}

QByteArray SingleInstance::encodeMessage(const QStringList &arguments)
{
    QJsonObject message;
    message.insert(QStringLiteral("v"), 1);
    message.insert(QStringLiteral("arguments"), QJsonArray::fromStringList(arguments));
    return QJsonDocument(message).toJson(QJsonDocument::Compact);
}

std::optional<QStringList> SingleInstance::decodeMessage(const QByteArray &json)
{
    if (json.isEmpty() || json.size() > maxMessageBytes)
        return std::nullopt;
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return std::nullopt;
    const QJsonObject message = document.object();
    const QJsonValue version = message.value(QStringLiteral("v"));
    const QJsonValue arguments = message.value(QStringLiteral("arguments"));
    if (message.size() != 2 || !version.isDouble() || version.toDouble() != 1.0
        || !arguments.isArray())
        return std::nullopt;
    const QJsonArray list = arguments.toArray();
    if (list.size() > maxArguments)
        return std::nullopt;
    QStringList result;
    result.reserve(list.size());
    for (const QJsonValue &argument : list) {
        if (!argument.isString() || argument.toString().size() > maxArgumentLength)
            return std::nullopt;
        result.append(argument.toString());
    }
    return result;
}

} // namespace countersign
