// RequestStateSealer: the requestState of an MCP 2026-07-28 step-up, sealed
// with AES-256-GCM under rotating gateway keys.
#include "gateway/mcp/requeststate.h"
#include "protocol/base64url.h"

#include <sys/stat.h>

#include <QFile>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;

namespace {

constexpr qint64 Now = 1'800'000'000;
constexpr qint64 Period = RequestStateSealer::RotationPeriod.count();

RequestState sampleState(qint64 expiresAt = Now + 120)
{
    RequestState state;
    state.approvalId = QStringLiteral("apr_3f9c1d");
    state.agent = QStringLiteral("claude-desktop");
    state.user = QStringLiteral("alice");
    state.method = QStringLiteral("tools/call");
    state.callDigest = requestStateCallDigest(
        QStringLiteral("deploy"), QJsonObject{{QStringLiteral("service"), QStringLiteral("api")}});
    state.expiresAt = expiresAt;
    return state;
}

void compareStates(const RequestState &actual, const RequestState &expected)
{
    QCOMPARE(actual.approvalId, expected.approvalId);
    QCOMPARE(actual.agent, expected.agent);
    QCOMPARE(actual.user, expected.user);
    QCOMPARE(actual.method, expected.method);
    QCOMPARE(actual.callDigest, expected.callDigest);
    QCOMPARE(actual.expiresAt, expected.expiresAt);
}

unsigned fileMode(const QString &path)
{
    struct stat info {};
    if (::stat(QFile::encodeName(path).constData(), &info) != 0)
        return 0xffffffffu;
    return info.st_mode & 0777u;
}

QByteArray raw(const QString &sealed)
{
    return base64UrlDecode(sealed.toLatin1()).value();
}

QString text(const QByteArray &raw)
{
    return QString::fromLatin1(base64UrlEncode(raw));
}

} // namespace

class TestMcpRequestState : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sealsAndOpens();
    void sealedIsUrlSafeAndBounded();
    void sealingTwiceGivesDifferentStates();
    void sealedStateHidesItsFields();
    void refusesEveryFlippedByte();
    void refusesMalformedInput_data();
    void refusesMalformedInput();
    void refusesOverlongInputBeforeDecoding();
    void refusesStateOfAnotherSealer();
    void refusesExpiredState();
    void refusesStateLivingLongerThanStatesDo();
    void copiesShareKeys();
    void createsKeyFileOwnerOnly();
    void reloadedKeysOpenEarlierStates();
    void rotatesAndPreviousKeyOpensUntilExpiry();
    void rotateIfDueRotatesRunningSealer();
    void refusesKeyFileWithWrongMode_data();
    void refusesKeyFileWithWrongMode();
    void refusesCorruptKeyFile();
    void callDigestBindsNameAndArguments();
};

void TestMcpRequestState::sealsAndOpens()
{
    const auto sealer = RequestStateSealer::ephemeral();
    const RequestState state = sampleState();
    QCOMPARE(state.callDigest.size(), 32);
    const QString sealed = sealer.seal(state);
    QVERIFY(!sealed.isEmpty());
    const auto opened = sealer.open(sealed, Now);
    QVERIFY2(opened.ok(), qPrintable(opened.ok() ? QString() : opened.error().message));
    compareStates(opened.value(), state);
}

void TestMcpRequestState::sealedIsUrlSafeAndBounded()
{
    const auto sealer = RequestStateSealer::ephemeral();
    RequestState largest = sampleState();
    const QString longest(RequestStateSealer::MaxFieldBytes, QLatin1Char('x'));
    largest.approvalId = largest.agent = largest.user = largest.method = longest;
    largest.callDigest = QByteArray(RequestStateSealer::MaxDigestBytes, '\xff');
    const QString sealed = sealer.seal(largest);
    QVERIFY(!sealed.isEmpty());
    QVERIFY(sealed.size() <= RequestStateSealer::MaxSealedLength);
    for (const QChar c : sealed) {
        QVERIFY2((c.isLetterOrNumber() && c.unicode() < 0x80) || c == u'-' || c == u'_',
                 qPrintable(QStringLiteral("not URL-safe: %1").arg(c)));
    }
    const auto opened = sealer.open(sealed, Now);
    QVERIFY(opened.ok());
    compareStates(opened.value(), largest);
}

void TestMcpRequestState::sealingTwiceGivesDifferentStates()
{
    // A repeated GCM nonce under one key is catastrophic; each seal must
    // draw a fresh one.
    const auto sealer = RequestStateSealer::ephemeral();
    const QString first = sealer.seal(sampleState());
    const QString second = sealer.seal(sampleState());
    QCOMPARE(first.size(), second.size());
    QVERIFY(first != second);
    QVERIFY(raw(first).mid(9, 12) != raw(second).mid(9, 12));
}

void TestMcpRequestState::sealedStateHidesItsFields()
{
    const auto sealer = RequestStateSealer::ephemeral();
    const QByteArray sealed = raw(sealer.seal(sampleState()));
    QVERIFY(!sealed.contains("claude-desktop"));
    QVERIFY(!sealed.contains("alice"));
    QVERIFY(!sealed.contains("tools/call"));
    QVERIFY(!sealed.contains(sampleState().callDigest));
}

void TestMcpRequestState::refusesEveryFlippedByte()
{
    const auto sealer = RequestStateSealer::ephemeral();
    const QByteArray sealed = raw(sealer.seal(sampleState()));
    for (qsizetype i = 0; i < sealed.size(); ++i) {
        for (const char mask : {'\x01', '\x80'}) {
            QByteArray altered = sealed;
            altered[i] = static_cast<char>(altered[i] ^ mask);
            const auto opened = sealer.open(text(altered), Now);
            QVERIFY2(!opened.ok(), qPrintable(QStringLiteral("byte %1 flipped opened").arg(i)));
            // The version byte makes it unreadable; every other byte makes
            // it a state this gateway did not issue.
            const ErrorCode expected =
                i == 0 ? RequestStateSealer::Malformed : RequestStateSealer::NotIssuedHere;
            QCOMPARE(opened.error().code, expected);
        }
    }
}

void TestMcpRequestState::refusesMalformedInput_data()
{
    QTest::addColumn<QString>("input");
    const auto sealer = RequestStateSealer::ephemeral();
    const QString sealed = sealer.seal(sampleState());
    QTest::newRow("empty") << QString();
    QTest::newRow("padding") << sealed + QStringLiteral("=");
    QTest::newRow("standard base64") << QString(sealed).replace(5, 1, QLatin1Char('+'));
    QTest::newRow("whitespace") << sealed + QStringLiteral(" ");
    QTest::newRow("non-ASCII") << QString(sealed).replace(5, 1, QChar(0x0101));
    QTest::newRow("truncated") << text(raw(sealed).first(36));
    QTest::newRow("header only") << text(raw(sealed).first(9));
    QTest::newRow("JSON") << QStringLiteral("{\"approvalId\":\"apr_3f9c1d\"}");
}

void TestMcpRequestState::refusesMalformedInput()
{
    QFETCH(QString, input);
    const auto sealer = RequestStateSealer::ephemeral();
    const auto opened = sealer.open(input, Now);
    QVERIFY(!opened.ok());
    QCOMPARE(opened.error().code, RequestStateSealer::Malformed);
}

void TestMcpRequestState::refusesOverlongInputBeforeDecoding()
{
    const auto sealer = RequestStateSealer::ephemeral();
    // Valid base64url of a plausible header, just one character too long.
    const QString overlong(RequestStateSealer::MaxSealedLength + 1, QLatin1Char('A'));
    const auto opened = sealer.open(overlong, Now);
    QVERIFY(!opened.ok());
    QCOMPARE(opened.error().code, RequestStateSealer::Malformed);
    QVERIFY(opened.error().message.contains(QStringLiteral("too long")));
    const auto huge = sealer.open(QString(10 * 1024 * 1024, QLatin1Char('A')), Now);
    QCOMPARE(huge.error().code, RequestStateSealer::Malformed);
}

void TestMcpRequestState::refusesStateOfAnotherSealer()
{
    const auto ours = RequestStateSealer::ephemeral();
    const auto theirs = RequestStateSealer::ephemeral();
    QVERIFY(ours.currentKeyId() != theirs.currentKeyId());
    const auto opened = ours.open(theirs.seal(sampleState()), Now);
    QVERIFY(!opened.ok());
    QCOMPARE(opened.error().code, RequestStateSealer::NotIssuedHere);
    QVERIFY(opened.error().message.contains(QStringLiteral("not issued by this gateway")));

    // The same key id with another key (a forged header) is caught by GCM.
    QByteArray forged = raw(theirs.seal(sampleState()));
    const QByteArray ourId = base64UrlDecode(ours.currentKeyId().toLatin1()).value();
    forged.replace(1, ourId.size(), ourId);
    const auto openedForged = ours.open(text(forged), Now);
    QVERIFY(!openedForged.ok());
    QCOMPARE(openedForged.error().code, RequestStateSealer::NotIssuedHere);
}

void TestMcpRequestState::refusesExpiredState()
{
    const auto sealer = RequestStateSealer::ephemeral();
    const QString sealed = sealer.seal(sampleState(Now + 60));
    QVERIFY(sealer.open(sealed, Now + 59).ok());
    for (const qint64 at : {Now + 60, Now + 61, Now + 10 * Period}) {
        const auto opened = sealer.open(sealed, at);
        QVERIFY(!opened.ok());
        QCOMPARE(opened.error().code, RequestStateSealer::StateExpired);
        QVERIFY(opened.error().message.contains(QStringLiteral("expired")));
    }
}

void TestMcpRequestState::refusesStateLivingLongerThanStatesDo()
{
    const auto sealer = RequestStateSealer::ephemeral();
    const qint64 maxLifetime = RequestStateSealer::MaxLifetime.count();
    QVERIFY(sealer.open(sealer.seal(sampleState(Now + maxLifetime)), Now).ok());
    const auto opened = sealer.open(sealer.seal(sampleState(Now + maxLifetime + 1)), Now);
    QVERIFY(!opened.ok());
    QCOMPARE(opened.error().code, RequestStateSealer::Malformed);
}

void TestMcpRequestState::copiesShareKeys()
{
    const auto sealer = RequestStateSealer::ephemeral();
    const RequestStateSealer copy = sealer; // NOLINT(performance-unnecessary-copy-initialization)
    QVERIFY(copy.open(sealer.seal(sampleState()), Now).ok());
}

void TestMcpRequestState::createsKeyFileOwnerOnly()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("request-state-keys.json"));
    const auto sealer = RequestStateSealer::loadOrCreate(path, Now);
    QVERIFY2(sealer.ok(), qPrintable(sealer.ok() ? QString() : sealer.error().message));
    QVERIFY(QFile::exists(path));
    QCOMPARE(fileMode(path), 0600u);
}

void TestMcpRequestState::reloadedKeysOpenEarlierStates()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("request-state-keys.json"));
    const auto first = RequestStateSealer::loadOrCreate(path, Now);
    QVERIFY(first.ok());
    const QString sealed = first->seal(sampleState());
    // A restart (or a second instance reading the same file).
    const auto second = RequestStateSealer::loadOrCreate(path, Now + 10);
    QVERIFY(second.ok());
    QCOMPARE(second->currentKeyId(), first->currentKeyId());
    QVERIFY(second->open(sealed, Now + 10).ok());
}

void TestMcpRequestState::rotatesAndPreviousKeyOpensUntilExpiry()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("request-state-keys.json"));
    const auto before = RequestStateSealer::loadOrCreate(path, Now);
    QVERIFY(before.ok());
    // Sealed just before the key turns a period old, for the longest life.
    const qint64 sealedAt = Now + Period - 1;
    const RequestState state = sampleState(sealedAt + RequestStateSealer::MaxLifetime.count());
    const QString sealed = before->seal(state);

    const auto after = RequestStateSealer::loadOrCreate(path, Now + Period);
    QVERIFY(after.ok());
    QVERIFY(after->currentKeyId() != before->currentKeyId());
    QCOMPARE(fileMode(path), 0600u);
    // New states use the new key; the old state still opens until it expires.
    const auto fresh = after->open(after->seal(sampleState(Now + Period + 60)), Now + Period);
    QVERIFY(fresh.ok());
    const auto old = after->open(sealed, state.expiresAt - 1);
    QVERIFY2(old.ok(), qPrintable(old.ok() ? QString() : old.error().message));
    compareStates(old.value(), state);
    QCOMPARE(after->open(sealed, state.expiresAt).error().code, RequestStateSealer::StateExpired);

    // The next rotation drops the first key: nothing it sealed opens again.
    const auto later = RequestStateSealer::loadOrCreate(path, Now + 2 * Period);
    QVERIFY(later.ok());
    QCOMPARE(later->open(sealed, Now + 2 * Period).error().code, RequestStateSealer::NotIssuedHere);
}

void TestMcpRequestState::rotateIfDueRotatesRunningSealer()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("request-state-keys.json"));
    auto sealer = RequestStateSealer::loadOrCreate(path, Now);
    QVERIFY(sealer.ok());
    const RequestStateSealer copy = sealer.value();
    const QString firstKey = sealer->currentKeyId();
    const QString sealed = sealer->seal(sampleState(Now + Period));

    QVERIFY(sealer->rotateIfDue(Now + Period - 1).ok());
    QCOMPARE(copy.currentKeyId(), firstKey);
    QVERIFY(sealer->rotateIfDue(Now + Period).ok());
    QVERIFY(copy.currentKeyId() != firstKey); // copies see the rotation
    QVERIFY(copy.open(sealed, Now + Period - 1).ok());
    // The rotation was written down: a restart keeps both keys.
    const auto restarted = RequestStateSealer::loadOrCreate(path, Now + Period);
    QVERIFY(restarted.ok());
    QCOMPARE(restarted->currentKeyId(), copy.currentKeyId());
    QVERIFY(restarted->open(sealed, Now + Period - 1).ok());
}

void TestMcpRequestState::refusesKeyFileWithWrongMode_data()
{
    QTest::addColumn<int>("mode");
    QTest::newRow("0640") << 0640;
    QTest::newRow("0604") << 0604;
    QTest::newRow("0660") << 0660;
    QTest::newRow("0644") << 0644;
}

void TestMcpRequestState::refusesKeyFileWithWrongMode()
{
    QFETCH(int, mode);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("request-state-keys.json"));
    QVERIFY(RequestStateSealer::loadOrCreate(path, Now).ok());
    QCOMPARE(::chmod(QFile::encodeName(path).constData(), static_cast<mode_t>(mode)), 0);
    const auto sealer = RequestStateSealer::loadOrCreate(path, Now);
    QVERIFY(!sealer.ok());
    QCOMPARE(sealer.error().code, ErrorCode::StorageFailure);
    QVERIFY(sealer.error().message.contains(QStringLiteral("chmod 600")));
}

void TestMcpRequestState::refusesCorruptKeyFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("request-state-keys.json"));
    QVERIFY(RequestStateSealer::loadOrCreate(path, Now).ok());
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadWrite));
    QByteArray content = file.readAll();
    content.replace("\"format\":1", "\"format\":2");
    QVERIFY(file.resize(0) && file.seek(0) && file.write(content) == content.size());
    file.close();
    const auto sealer = RequestStateSealer::loadOrCreate(path, Now);
    QVERIFY(!sealer.ok());
    QCOMPARE(sealer.error().code, ErrorCode::StorageFailure);
}

void TestMcpRequestState::callDigestBindsNameAndArguments()
{
    const QJsonObject args{{QStringLiteral("a"), 1}, {QStringLiteral("b"), QStringLiteral("x")}};
    const QByteArray digest = requestStateCallDigest(QStringLiteral("deploy"), args);
    QCOMPARE(digest.size(), 32);
    // Member order does not matter (RFC 8785), anything else does.
    const QJsonObject reordered{{QStringLiteral("b"), QStringLiteral("x")},
                                {QStringLiteral("a"), 1}};
    QCOMPARE(requestStateCallDigest(QStringLiteral("deploy"), reordered), digest);
    QVERIFY(requestStateCallDigest(QStringLiteral("deploy2"), args) != digest);
    QVERIFY(requestStateCallDigest(
                QStringLiteral("deploy"),
                QJsonObject{{QStringLiteral("a"), 2}, {QStringLiteral("b"), QStringLiteral("x")}})
            != digest);
    QVERIFY(requestStateCallDigest(QStringLiteral("deploy"), {}) != digest);
    // Arguments that have no canonical form give no digest.
    QVERIFY(requestStateCallDigest(QStringLiteral("deploy"),
                                   QJsonObject{{QStringLiteral("n"), qQNaN()}})
                .isEmpty());
}

QTEST_GUILESS_MAIN(TestMcpRequestState)
#include "test_mcp_requeststate.moc"
