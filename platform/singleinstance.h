#pragma once

#include "protocol/result.h"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include <QObject>
#include <QString>
#include <QStringList>

class QLocalServer;
class QLocalSocket;
class QLockFile;

namespace countersign {

// One companion per user session. The first launch holds a lock file and
// listens on a local socket (QLocalServer); a later launch finds the lock
// taken, hands its command line to the running instance (`--pair LINK`, or
// nothing, which means "show yourself") and exits.
//
// Both files live in a directory only this user can write to (the runtime
// directory, $XDG_RUNTIME_DIR on Linux) and are named after the key, the app
// id plus the user id, so two users on one machine never meet and nobody
// else can stand in for the running instance. The lock decides who is first
// (two launches at the same moment cannot both become it); a socket left
// behind by a crash is removed by the one that holds the lock.
//
// The message is one frame: a 4-byte big-endian length, then at most
// maxMessageBytes of JSON {"v":1,"arguments":[strings]}. The running instance
// answers one byte (0x01) once it accepted the message. Anything else
// (oversized, not that JSON, too slow) is dropped and the connection closed.
class SingleInstance final : public QObject {
    Q_OBJECT

public:
    enum class Role {
        Primary,   // this process is the companion: messageReceived() follows
        Secondary, // another instance runs: send() the arguments to it, then exit
    };
    using SendCallback = std::function<void(Status)>;

    static constexpr qsizetype maxMessageBytes = 64 * 1024;
    static constexpr qsizetype maxArguments = 64;
    static constexpr qsizetype maxArgumentLength = 8 * 1024;
    // How long a client may take to deliver its message to the running instance.
    static constexpr std::chrono::milliseconds receiveTimeout{5000};
    // Connections handled at once; more are closed at once.
    static constexpr int maxConnections = 8;

    // The companion's instance: defaultKey() in defaultDirectory().
    explicit SingleInstance(QObject *parent = nullptr);
    // Another key or directory; for tests. The directory must exist, belong to
    // this user and be writable by nobody else.
    SingleInstance(const QString &key, const QString &directory, QObject *parent = nullptr);
    ~SingleInstance() override;

    // AppId::id() and the user ("io.github.countersign.Countersign-1000").
    static QString defaultKey();
    // The per-user runtime directory (QStandardPaths::RuntimeLocation).
    static QString defaultDirectory();

    QString key() const { return m_key; }
    // What QLocalServer listens on: the socket's full path on Unix, the
    // pipe's name on Windows.
    QString serverName() const;
    QString lockFilePath() const;

    // Decides who runs. Primary: this instance now holds the lock and
    // listens. Secondary: another holds it. An error when neither is possible
    // (no usable directory, the socket cannot be created); the caller may then
    // run without single-instance protection. Call once.
    Result<Role> start();

    // As Secondary: hands `arguments` (the command line without the program)
    // to the running instance. `done` runs once, later from the event loop:
    // Ok when the running instance confirmed it, an error when it did not
    // answer within `timeout` or refused the message. Not called when this
    // object is destroyed first.
    void send(const QStringList &arguments, SendCallback done,
              std::chrono::milliseconds timeout = std::chrono::seconds(5));

    // The message's JSON, and its strict reading (nullopt: not a valid message).
    static QByteArray encodeMessage(const QStringList &arguments);
    static std::optional<QStringList> decodeMessage(const QByteArray &json);

Q_SIGNALS:
    // A later launch's arguments (empty: it was started without any).
    void messageReceived(const QStringList &arguments);

private:
    struct PendingSend;

    Status checkDirectory() const;
    void acceptConnections();
    void readMessage(QLocalSocket *socket);
    void attemptSend(const std::shared_ptr<PendingSend> &pending);
    void finishSend(const std::shared_ptr<PendingSend> &pending, Status status);

    QString m_key;
    QString m_directory;
    std::unique_ptr<QLockFile> m_lock;
    QLocalServer *m_server = nullptr;
    std::optional<Role> m_role;
    int m_connections = 0;
};

} // namespace countersign
