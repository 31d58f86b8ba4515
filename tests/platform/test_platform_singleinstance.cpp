#include "app/appid.h"
#include "platform/singleinstance.h"

#include <optional>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalServer>
#include <QLocalSocket>
#include <QLockFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QtEndian>

using namespace countersign;

namespace {

constexpr int timeoutMs = 10'000;

const QString pairingLink = QStringLiteral(
    "countersign://pair?v=1&gw=https%3A%2F%2Fgw.example.com&code=bXktb25lLXRpbWUtY29kZS0xMjM0"
    "&kid=NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs&name=Example%20Gateway");

// Waits for the one answer of SingleInstance::send.
class SendAnswer {
public:
    SingleInstance::SendCallback callback()
    {
        return [this](Status status) {
            ++m_calls;
            m_status.emplace(std::move(status));
        };
    }
    bool wait()
    {
        return QTest::qWaitFor([this] { return m_status.has_value(); }, timeoutMs);
    }
    bool arrived() const { return m_status.has_value(); }
    const Status &status() const { return *m_status; }
    int calls() const { return m_calls; }

private:
    std::optional<Status> m_status;
    int m_calls = 0;
};

QByteArray frame(const QByteArray &payload, std::optional<quint32> declaredLength = std::nullopt)
{
    QByteArray bytes(4, '\0');
    qToBigEndian(declaredLength.value_or(static_cast<quint32>(payload.size())), bytes.data());
    return bytes + payload;
}

// A socket file as a crashed instance leaves it: bound, never unlinked,
// nobody listening.
bool leaveStaleSocket(const QString &path)
{
    const QByteArray native = QFile::encodeName(path);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (static_cast<size_t>(native.size()) >= sizeof(address.sun_path))
        return false;
    std::copy(native.cbegin(), native.cend(), address.sun_path);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    const bool bound =
        ::bind(fd, reinterpret_cast<const sockaddr *>(&address), sizeof(address)) == 0;
    ::close(fd);
    return bound;
}

// A lock file as a crashed instance leaves it: written by QLockFile itself,
// then pointed at a process that no longer exists.
bool leaveStaleLock(const QString &path)
{
    QProcess process;
    process.start(QStringLiteral("true"), {});
    if (!process.waitForStarted(timeoutMs))
        return false;
    const qint64 deadPid = process.processId();
    if (!process.waitForFinished(timeoutMs))
        return false;

    {
        QLockFile lock(path);
        if (!lock.tryLock(0))
            return false;
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return false;
        QList<QByteArray> lines = file.readAll().split('\n');
        file.close();
        lock.unlock();
        lines[0] = QByteArray::number(deadPid);
        QFile stale(path);
        if (!stale.open(QIODevice::WriteOnly))
            return false;
        stale.write(lines.join('\n'));
    }
    return QFile::exists(path);
}

} // namespace

// SingleInstance with two objects in one process, each with the test's own
// key in a private temporary directory: the lock, the socket, the message
// and its validation are the real ones.
class TestPlatformSingleInstance : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void defaultKeyNamesAppAndUser();
    void firstIsPrimarySecondIsSecondary();
    void secondHandsItsArgumentsToTheFirst();
    void emptyArgumentsMeanShow();
    void severalLaunchesInARow();
    void nextLaunchAfterTheFirstExitsIsPrimary();
    void recoversStaleSocketAndLock();
    void recoversStaleSocketWithoutLock();
    void waitsForAnInstanceThatIsStillStarting();
    void failsWhenTheRunningInstanceDoesNotAnswer();
    void onlyASecondaryCanSend();
    void refusesArgumentsTooLongToSend();
    void dropsOversizedMessages();
    void dropsMalformedMessages_data();
    void dropsMalformedMessages();
    void refusesADirectoryOthersCanWrite();
    void messageRoundTrips();

private:
    QString key() const;
    void expectDropped(SingleInstance &primary, const QByteArray &bytes);

    std::optional<QTemporaryDir> m_directory;
    int m_round = 0;
};

void TestPlatformSingleInstance::init()
{
    m_directory.emplace();
    QVERIFY(m_directory->isValid());
    ++m_round;
}

QString TestPlatformSingleInstance::key() const
{
    return QStringLiteral("countersign-test-instance-%1-%2")
        .arg(QCoreApplication::applicationPid())
        .arg(m_round);
}

void TestPlatformSingleInstance::defaultKeyNamesAppAndUser()
{
    // Two users on one machine get two keys.
    QCOMPARE(SingleInstance::defaultKey(),
             AppId::id() + QStringLiteral("-") + QString::number(::getuid()));
    SingleInstance instance;
    QCOMPARE(instance.key(), SingleInstance::defaultKey());
    QVERIFY(instance.serverName().startsWith(SingleInstance::defaultDirectory()));
}

void TestPlatformSingleInstance::firstIsPrimarySecondIsSecondary()
{
    SingleInstance first(key(), m_directory->path());
    SingleInstance second(key(), m_directory->path());
    const auto firstRole = first.start();
    QVERIFY2(firstRole.ok(), qPrintable(firstRole.ok() ? QString() : firstRole.error().message));
    QCOMPARE(*firstRole, SingleInstance::Role::Primary);
    const auto secondRole = second.start();
    QVERIFY(secondRole.ok());
    QCOMPARE(*secondRole, SingleInstance::Role::Secondary);
    QVERIFY(QFile::exists(first.serverName()));
    QVERIFY(QFile::exists(first.lockFilePath()));
    // Only this user may connect.
    QCOMPARE(QFile::permissions(first.serverName())
                 & (QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ReadGroup
                    | QFileDevice::WriteGroup),
             QFileDevice::Permissions());
}

void TestPlatformSingleInstance::secondHandsItsArgumentsToTheFirst()
{
    SingleInstance first(key(), m_directory->path());
    QCOMPARE(*first.start(), SingleInstance::Role::Primary);
    QSignalSpy received(&first, &SingleInstance::messageReceived);

    SingleInstance second(key(), m_directory->path());
    QCOMPARE(*second.start(), SingleInstance::Role::Secondary);
    SendAnswer answer;
    const QStringList arguments{QStringLiteral("--pair"), pairingLink};
    second.send(arguments, answer.callback());
    QVERIFY(!answer.arrived()); // never inside the call
    QVERIFY(answer.wait());
    QVERIFY2(answer.status().ok(),
             qPrintable(answer.status().ok() ? QString() : answer.status().error().message));
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, timeoutMs);
    QCOMPARE(received.at(0).at(0).toStringList(), arguments);
    QCOMPARE(answer.calls(), 1);
}

void TestPlatformSingleInstance::emptyArgumentsMeanShow()
{
    SingleInstance first(key(), m_directory->path());
    QCOMPARE(*first.start(), SingleInstance::Role::Primary);
    QSignalSpy received(&first, &SingleInstance::messageReceived);
    SingleInstance second(key(), m_directory->path());
    QCOMPARE(*second.start(), SingleInstance::Role::Secondary);
    SendAnswer answer;
    second.send({}, answer.callback());
    QVERIFY(answer.wait());
    QVERIFY(answer.status().ok());
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, timeoutMs);
    QCOMPARE(received.at(0).at(0).toStringList(), QStringList());
}

void TestPlatformSingleInstance::severalLaunchesInARow()
{
    SingleInstance first(key(), m_directory->path());
    QCOMPARE(*first.start(), SingleInstance::Role::Primary);
    QSignalSpy received(&first, &SingleInstance::messageReceived);
    constexpr int launches = 5;
    std::vector<std::unique_ptr<SingleInstance>> others;
    std::vector<std::unique_ptr<SendAnswer>> answers;
    for (int i = 0; i < launches; ++i) {
        others.push_back(std::make_unique<SingleInstance>(key(), m_directory->path()));
        answers.push_back(std::make_unique<SendAnswer>());
        QCOMPARE(*others.back()->start(), SingleInstance::Role::Secondary);
        others.back()->send({QString::number(i)}, answers.back()->callback());
    }
    for (const auto &answer : answers) {
        QVERIFY(answer->wait());
        QVERIFY(answer->status().ok());
    }
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), launches, timeoutMs);
    QStringList seen;
    for (const QList<QVariant> &signal : std::as_const(received))
        seen += signal.at(0).toStringList();
    seen.sort();
    QCOMPARE(seen,
             (QStringList{QStringLiteral("0"), QStringLiteral("1"), QStringLiteral("2"),
                          QStringLiteral("3"), QStringLiteral("4")}));
}

void TestPlatformSingleInstance::nextLaunchAfterTheFirstExitsIsPrimary()
{
    QString socketPath;
    {
        SingleInstance first(key(), m_directory->path());
        QCOMPARE(*first.start(), SingleInstance::Role::Primary);
        socketPath = first.serverName();
    }
    QVERIFY(!QFile::exists(socketPath));
    SingleInstance next(key(), m_directory->path());
    QCOMPARE(*next.start(), SingleInstance::Role::Primary);
}

void TestPlatformSingleInstance::recoversStaleSocketAndLock()
{
    SingleInstance crashed(key(), m_directory->path()); // names the files only
    QVERIFY(leaveStaleSocket(crashed.serverName()));
    QVERIFY(leaveStaleLock(crashed.lockFilePath()));
    {
        // Nobody answers on the stale socket.
        QLocalSocket probe;
        probe.connectToServer(crashed.serverName());
        QVERIFY(!probe.waitForConnected(1000));
    }

    SingleInstance first(key(), m_directory->path());
    const auto role = first.start();
    QVERIFY2(role.ok(), qPrintable(role.ok() ? QString() : role.error().message));
    QCOMPARE(*role, SingleInstance::Role::Primary);
    QSignalSpy received(&first, &SingleInstance::messageReceived);
    SingleInstance second(key(), m_directory->path());
    QCOMPARE(*second.start(), SingleInstance::Role::Secondary);
    SendAnswer answer;
    second.send({QStringLiteral("--pair"), pairingLink}, answer.callback());
    QVERIFY(answer.wait());
    QVERIFY(answer.status().ok());
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, timeoutMs);
}

void TestPlatformSingleInstance::recoversStaleSocketWithoutLock()
{
    SingleInstance first(key(), m_directory->path());
    QVERIFY(leaveStaleSocket(first.serverName()));
    QCOMPARE(*first.start(), SingleInstance::Role::Primary);
    QSignalSpy received(&first, &SingleInstance::messageReceived);
    SingleInstance second(key(), m_directory->path());
    QCOMPARE(*second.start(), SingleInstance::Role::Secondary);
    SendAnswer answer;
    second.send({QStringLiteral("--minimized")}, answer.callback());
    QVERIFY(answer.wait());
    QVERIFY(answer.status().ok());
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, timeoutMs);
}

void TestPlatformSingleInstance::waitsForAnInstanceThatIsStillStarting()
{
    // An instance that holds the lock but does not listen yet (it is a moment
    // into its start-up): the second launch keeps trying until it listens.
    SingleInstance layout(key(), m_directory->path());
    QLockFile lock(layout.lockFilePath());
    QVERIFY(lock.tryLock(0));

    SingleInstance second(key(), m_directory->path());
    QCOMPARE(*second.start(), SingleInstance::Role::Secondary);
    SendAnswer answer;
    second.send({QStringLiteral("--pair"), pairingLink}, answer.callback());

    // The "starting" instance: a plain server that reads the frame and
    // accepts it, as the real one does.
    QLocalServer server;
    QByteArray receivedBytes;
    QTimer::singleShot(300, &server, [&] { QVERIFY(server.listen(layout.serverName())); });
    connect(&server, &QLocalServer::newConnection, &server, [&] {
        QLocalSocket *socket = server.nextPendingConnection();
        connect(socket, &QLocalSocket::readyRead, socket, [&, socket] {
            receivedBytes += socket->readAll();
            if (receivedBytes.size() >= 4
                && receivedBytes.size() == 4 + qFromBigEndian<quint32>(receivedBytes.constData()))
                socket->write(QByteArray(1, '\x01'));
        });
    });
    QVERIFY(answer.wait());
    QVERIFY(answer.status().ok());
    QCOMPARE(SingleInstance::decodeMessage(receivedBytes.mid(4)),
             (QStringList{QStringLiteral("--pair"), pairingLink}));
}

void TestPlatformSingleInstance::failsWhenTheRunningInstanceDoesNotAnswer()
{
    SingleInstance layout(key(), m_directory->path());
    QLockFile lock(layout.lockFilePath());
    QVERIFY(lock.tryLock(0));
    SingleInstance second(key(), m_directory->path());
    QCOMPARE(*second.start(), SingleInstance::Role::Secondary);
    SendAnswer answer;
    second.send({}, answer.callback(), std::chrono::milliseconds(300));
    QVERIFY(answer.wait());
    QVERIFY(!answer.status().ok());
    QVERIFY(answer.status().error().message.contains(QStringLiteral("did not answer")));
    QCOMPARE(answer.calls(), 1);
}

void TestPlatformSingleInstance::onlyASecondaryCanSend()
{
    SingleInstance first(key(), m_directory->path());
    QCOMPARE(*first.start(), SingleInstance::Role::Primary);
    SendAnswer answer;
    first.send({}, answer.callback());
    QVERIFY(!answer.arrived());
    QVERIFY(answer.wait());
    QVERIFY(!answer.status().ok());

    SingleInstance notStarted(key(), m_directory->path());
    SendAnswer notStartedAnswer;
    notStarted.send({}, notStartedAnswer.callback());
    QVERIFY(notStartedAnswer.wait());
    QVERIFY(!notStartedAnswer.status().ok());
}

void TestPlatformSingleInstance::refusesArgumentsTooLongToSend()
{
    SingleInstance first(key(), m_directory->path());
    QCOMPARE(*first.start(), SingleInstance::Role::Primary);
    QSignalSpy received(&first, &SingleInstance::messageReceived);
    SingleInstance second(key(), m_directory->path());
    QCOMPARE(*second.start(), SingleInstance::Role::Secondary);

    SendAnswer tooLong;
    second.send({QString(SingleInstance::maxArgumentLength + 1, u'x')}, tooLong.callback());
    QVERIFY(tooLong.wait());
    QVERIFY(!tooLong.status().ok());

    SendAnswer tooMany;
    second.send(QStringList(SingleInstance::maxArguments + 1, QStringLiteral("x")),
                tooMany.callback());
    QVERIFY(tooMany.wait());
    QVERIFY(!tooMany.status().ok());
    QCOMPARE(received.size(), 0);
}

void TestPlatformSingleInstance::expectDropped(SingleInstance &primary, const QByteArray &bytes)
{
    QSignalSpy received(&primary, &SingleInstance::messageReceived);
    QLocalSocket client;
    client.connectToServer(primary.serverName());
    QVERIFY(client.waitForConnected(timeoutMs));
    client.write(bytes);
    // The instance closes the connection without answering.
    QTRY_COMPARE_WITH_TIMEOUT(client.state(), QLocalSocket::UnconnectedState, timeoutMs);
    QCOMPARE(client.readAll(), QByteArray());
    QCOMPARE(received.size(), 0);
}

void TestPlatformSingleInstance::dropsOversizedMessages()
{
    SingleInstance first(key(), m_directory->path());
    QCOMPARE(*first.start(), SingleInstance::Role::Primary);

    // Announced too large: dropped before any of it is read.
    expectDropped(first, frame({}, static_cast<quint32>(SingleInstance::maxMessageBytes + 1)));
    expectDropped(first, frame({}, 0xffffffffu));
    // Really too large.
    const QByteArray huge = SingleInstance::encodeMessage(
        {QString(static_cast<qsizetype>(SingleInstance::maxMessageBytes), u'x')});
    expectDropped(first, frame(huge));
    // Too many arguments, or one too long, inside the size limit.
    expectDropped(first,
                  frame(SingleInstance::encodeMessage(
                      QStringList(SingleInstance::maxArguments + 1, QStringLiteral("x")))));
    expectDropped(first,
                  frame(SingleInstance::encodeMessage(
                      {QString(SingleInstance::maxArgumentLength + 1, u'x')})));

    // The instance still works afterwards.
    QSignalSpy received(&first, &SingleInstance::messageReceived);
    SingleInstance second(key(), m_directory->path());
    QCOMPARE(*second.start(), SingleInstance::Role::Secondary);
    SendAnswer answer;
    second.send({QStringLiteral("--pair"), pairingLink}, answer.callback());
    QVERIFY(answer.wait());
    QVERIFY(answer.status().ok());
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, timeoutMs);
}

void TestPlatformSingleInstance::dropsMalformedMessages_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("zero length") << frame({});
    QTest::newRow("not JSON") << frame("--pair countersign://pair?v=1");
    QTest::newRow("binary") << frame(QByteArray("\x00\xff\xfe\x01", 4));
    QTest::newRow("JSON array") << frame(R"(["--pair","x"])");
    QTest::newRow("no version") << frame(R"({"arguments":["--pair","x"]})");
    QTest::newRow("version 2") << frame(R"({"v":2,"arguments":["--pair","x"]})");
    QTest::newRow("version as text") << frame(R"({"v":"1","arguments":[]})");
    QTest::newRow("arguments not a list") << frame(R"({"v":1,"arguments":"--pair x"})");
    QTest::newRow("argument not text") << frame(R"({"v":1,"arguments":["--pair",42]})");
    QTest::newRow("extra member") << frame(R"({"v":1,"arguments":[],"approve":true})");
    QTest::newRow("trailing garbage") << frame(R"({"v":1,"arguments":[]} x)");
}

void TestPlatformSingleInstance::dropsMalformedMessages()
{
    QFETCH(QByteArray, bytes);
    SingleInstance first(key(), m_directory->path());
    QCOMPARE(*first.start(), SingleInstance::Role::Primary);
    expectDropped(first, bytes);
}

void TestPlatformSingleInstance::refusesADirectoryOthersCanWrite()
{
    // Someone else who can write there could stand in for the running
    // instance and receive the pairing links.
    QVERIFY(QFile::setPermissions(m_directory->path(),
                                  QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                      | QFileDevice::ExeOwner | QFileDevice::ReadOther
                                      | QFileDevice::WriteOther | QFileDevice::ExeOther));
    SingleInstance first(key(), m_directory->path());
    const auto role = first.start();
    QVERIFY(!role.ok());
    QVERIFY(!QFile::exists(first.lockFilePath()));

    SingleInstance missing(key(), m_directory->filePath(QStringLiteral("missing")));
    QVERIFY(!missing.start().ok());
}

void TestPlatformSingleInstance::messageRoundTrips()
{
    const QStringList arguments{QStringLiteral("--pair"), pairingLink, QStringLiteral("ü \"x\"")};
    const QByteArray json = SingleInstance::encodeMessage(arguments);
    QCOMPARE(SingleInstance::decodeMessage(json), arguments);
    const QJsonDocument document = QJsonDocument::fromJson(json);
    QCOMPARE(document.object().value(QStringLiteral("v")).toInt(), 1);
    QCOMPARE(SingleInstance::decodeMessage({}), std::nullopt);
}

QTEST_GUILESS_MAIN(TestPlatformSingleInstance)
#include "test_platform_singleinstance.moc"
