#include "gateway/store/sqlitestore.h"
#include "rawdatabase.h"

#include <sys/stat.h>

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSqlError>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;
using countersign::testing::RawDatabase;

namespace {

const QString Alice = QStringLiteral("alice");
const QString Bob = QStringLiteral("bob");
const QString InvalidCode = QStringLiteral("pairing code is invalid, used or expired");

QByteArray sha256(const QByteArray &data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Sha256);
}

DeviceRecord sampleDevice(const QString &id, const QString &userId)
{
    DeviceRecord device;
    device.deviceId = id;
    device.userId = userId;
    device.name = id + QStringLiteral("-laptop");
    device.publicJwk = QJsonObject{
        {QStringLiteral("kty"), QStringLiteral("EC")},
        {QStringLiteral("crv"), QStringLiteral("P-256")},
        {QStringLiteral("x"), QStringLiteral("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU")},
        {QStringLiteral("y"), QStringLiteral("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0")}};
    device.keyThumbprint = QStringLiteral("thumb-") + id;
    device.pairedAt = 1'700'000'000;
    return device;
}

PairingOffer sampleOffer(const QByteArray &code, const QString &userId, qint64 expiresAt)
{
    PairingOffer offer;
    offer.codeHash = sha256(code);
    offer.userId = userId;
    offer.createdAt = expiresAt - 600;
    offer.expiresAt = expiresAt;
    return offer;
}

ApprovalRecord sampleApproval(const QString &requestId, const QString &userId, qint64 expiresAt)
{
    ApprovalRecord approval;
    approval.requestId = requestId;
    approval.userId = userId;
    approval.requestJws = "eyJhbGciOiJFUzI1NiJ9.e30." + requestId.toUtf8();
    approval.requestHash = sha256(approval.requestJws);
    approval.methods = {ApprovalMethod::Passkey, ApprovalMethod::Totp};
    approval.upstream = QStringLiteral("https://mcp.example.com");
    approval.argumentsHash = sha256("arguments of " + requestId.toUtf8());
    approval.createdAt = expiresAt - 300;
    approval.expiresAt = expiresAt;
    return approval;
}

TotpEnrollment sampleEnrollment(const QString &userId)
{
    TotpEnrollment enrollment;
    enrollment.userId = userId;
    enrollment.secret = QByteArray("12345678901234567890");
    enrollment.algorithm = QStringLiteral("SHA256");
    enrollment.digits = 8;
    enrollment.period = 30;
    enrollment.createdAt = 1'700'000'123;
    return enrollment;
}

unsigned fileMode(const QString &path)
{
    struct stat info {};
    if (::stat(QFile::encodeName(path).constData(), &info) != 0)
        return 0xffffffffu;
    return info.st_mode & 0777u;
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestSqliteStore : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void createsPrivateDataDirectoryAndWalDatabase();
    void approvalStateNamesRoundTrip();

    void deviceRoundTrips();
    void refusesDuplicateDevice();
    void refusesDeviceWithoutIds();
    void listsDevicesByUser();
    void revokesDeviceKeepingFirstTime();
    void refusesRevokingUnknownDevice();

    void pairingOfferRoundTrips();
    void refusesDuplicatePairingOffer();
    void redeemsPairingOfferOnce();
    void refusesUsedPairingCode();
    void refusesExpiredPairingCode();
    void refusesWrongPairingCode();
    void failedRedeemLeavesOfferUnused();
    void redeemIsSingleUseAcrossInstances();

    void approvalRoundTrips();
    void resolvedApprovalRoundTrips();
    void refusesDuplicateApproval();
    void resolvesApprovalOnlyOnce();
    void resolvesApprovalOnlyOnceAcrossInstances();
    void refusesResolvingToPending();
    void refusesResolvingUnknownApproval();
    void refusesApprovingAfterExpiry();
    void refusesApprovingWithMethodNotOffered();
    void expiresApprovalAfterDeadline();
    void pendingApprovalsExcludeExpiredAndResolved();
    void pendingApprovalsFilterByUser();
    void findsEarliestPendingExpiry();
    void countsFailedAttempts();
    void approvalKeepsAgentOriginAndOperation();
    void countsApprovalsPerUserAndAgent();
    void listsDenialsOfAnAgentNewestFirst();
    void findsTheApprovalOfAnOperation();

    void markUsedIsSingleUse();
    void markUsedIsSingleUseAcrossInstances();
    void purgeForgetsOnlyExpiredUsedValues();

    void totpEnrollmentRoundTrips();
    void totpEnrollmentIsReplaced();
    void totpSecretIsNotStoredInPlaintext();
    void totpEnrollmentSurvivesReopen();
    void tamperedTotpCiphertextReadsAsMissing();
    void totpCiphertextMovedToOtherUserReadsAsMissing();
    void totpEnrollmentUnreadableWithOtherKey();

    void auditEventsRoundTripWithIncreasingIds();
    void auditEventsPageByIdAndLimit();
    void auditUpdateIsRefusedByDatabase();
    void auditDeleteIsRefusedByDatabase();

    void dataSurvivesCloseAndReopen();
    void refusesKeyFileReadableByOthers();

    void passkeyUserHandleIsMadeOnce();
    void addsPasskeysUpToTheLimit();
    void removesOnlyTheUsersPasskey();
    void passkeyApprovalMovesCounterWithResolution();
    void approvalKeepsUserVerificationRequirement();

private:
    std::unique_ptr<SqliteStore> openStore() const;

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_dataDir;
    std::unique_ptr<SqliteStore> m_store;
};

std::unique_ptr<SqliteStore> TestSqliteStore::openStore() const
{
    auto store = SqliteStore::open(m_dataDir);
    if (!store) {
        qWarning("%s", qPrintable(store.error().message));
        return nullptr;
    }
    return std::move(store).value();
}

void TestSqliteStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_dataDir = m_dir->filePath(QStringLiteral("data"));
    m_store = openStore();
    QVERIFY(m_store);
}

void TestSqliteStore::cleanup()
{
    m_store.reset();
    m_dir.reset();
}

void TestSqliteStore::createsPrivateDataDirectoryAndWalDatabase()
{
    QCOMPARE(fileMode(m_dataDir), 0700u);
    QCOMPARE(fileMode(QDir(m_dataDir).filePath(QStringLiteral("secrets.key"))), 0600u);
    QCOMPARE(m_store->databasePath(), QDir(m_dataDir).filePath(QStringLiteral("gateway.sqlite")));
    QVERIFY(QFile::exists(m_store->databasePath()));
    QCOMPARE(fileMode(m_store->databasePath()), 0600u);
    RawDatabase raw(m_store->databasePath());
    QCOMPARE(raw.scalar(QStringLiteral("PRAGMA journal_mode")).toString(), QStringLiteral("wal"));
}

void TestSqliteStore::approvalStateNamesRoundTrip()
{
    for (ApprovalState state :
         {ApprovalState::Pending, ApprovalState::Approved, ApprovalState::Denied,
          ApprovalState::Expired, ApprovalState::Cancelled}) {
        QVERIFY(!approvalStateName(state).isEmpty());
        QCOMPARE(approvalStateFromName(approvalStateName(state)), state);
    }
    QCOMPARE(approvalStateName(ApprovalState::Cancelled), QStringLiteral("cancelled"));
    QVERIFY(!approvalStateFromName(u"Pending").has_value());
    QVERIFY(!approvalStateFromName(u"").has_value());
}

void TestSqliteStore::deviceRoundTrips()
{
    DeviceRecord device = sampleDevice(QStringLiteral("dev-1"), Alice);
    device.revokedAt = 1'700'000'500;
    device.passkey = QJsonObject{
        {QStringLiteral("credentialId"), QStringLiteral("abc")},
        {QStringLiteral("transports"), QJsonArray{QStringLiteral("usb"), QStringLiteral("nfc")}}};
    QVERIFY(m_store->addDevice(device).ok());
    QCOMPARE(m_store->device(device.deviceId), device);
    QVERIFY(!m_store->device(QStringLiteral("dev-unknown")).has_value());

    const DeviceRecord minimal = sampleDevice(QStringLiteral("dev-2"), Alice);
    QVERIFY(m_store->addDevice(minimal).ok());
    const auto read = m_store->device(minimal.deviceId);
    QVERIFY(read.has_value());
    QCOMPARE(*read, minimal);
    QVERIFY(!read->isRevoked());
}

void TestSqliteStore::refusesDuplicateDevice()
{
    const DeviceRecord device = sampleDevice(QStringLiteral("dev-1"), Alice);
    QVERIFY(m_store->addDevice(device).ok());
    DeviceRecord other = sampleDevice(QStringLiteral("dev-1"), Bob);
    const Status again = m_store->addDevice(other);
    QVERIFY(!again.ok());
    QCOMPARE(again.error().code, ErrorCode::InvalidField);
    QCOMPARE(m_store->device(device.deviceId)->userId, Alice);
}

void TestSqliteStore::refusesDeviceWithoutIds()
{
    QCOMPARE(m_store->addDevice(sampleDevice(QString(), Alice)).error().code,
             ErrorCode::InvalidField);
    QCOMPARE(m_store->addDevice(sampleDevice(QStringLiteral("dev-1"), QString())).error().code,
             ErrorCode::InvalidField);
    QVERIFY(m_store->devices().isEmpty());
}

void TestSqliteStore::listsDevicesByUser()
{
    QVERIFY(m_store->addDevice(sampleDevice(QStringLiteral("a1"), Alice)).ok());
    QVERIFY(m_store->addDevice(sampleDevice(QStringLiteral("b1"), Bob)).ok());
    QVERIFY(m_store->addDevice(sampleDevice(QStringLiteral("a2"), Alice)).ok());

    QStringList alices;
    for (const DeviceRecord &device : m_store->devices(Alice))
        alices.append(device.deviceId);
    alices.sort();
    QCOMPARE(alices, (QStringList{QStringLiteral("a1"), QStringLiteral("a2")}));
    QCOMPARE(m_store->devices(Bob).size(), 1);
    QCOMPARE(m_store->devices().size(), 3);
    QVERIFY(m_store->devices(QStringLiteral("carol")).isEmpty());
}

void TestSqliteStore::revokesDeviceKeepingFirstTime()
{
    const DeviceRecord device = sampleDevice(QStringLiteral("dev-1"), Alice);
    QVERIFY(m_store->addDevice(device).ok());
    QVERIFY(m_store->revokeDevice(device.deviceId, 1000).ok());
    QCOMPARE(m_store->device(device.deviceId)->revokedAt, std::optional<qint64>(1000));
    QVERIFY(m_store->revokeDevice(device.deviceId, 2000).ok());
    QCOMPARE(m_store->device(device.deviceId)->revokedAt, std::optional<qint64>(1000));
}

void TestSqliteStore::refusesRevokingUnknownDevice()
{
    const Status revoked = m_store->revokeDevice(QStringLiteral("nope"), 1000);
    QVERIFY(!revoked.ok());
    QCOMPARE(revoked.error().code, ErrorCode::InvalidField);
}

void TestSqliteStore::pairingOfferRoundTrips()
{
    const PairingOffer offer = sampleOffer("code-1", Alice, 5000);
    QVERIFY(m_store->addPairingOffer(offer).ok());
    QCOMPARE(m_store->pairingOffer(offer.codeHash), offer);
    QVERIFY(!m_store->pairingOffer(sha256("other")).has_value());
}

void TestSqliteStore::refusesDuplicatePairingOffer()
{
    QVERIFY(m_store->addPairingOffer(sampleOffer("code-1", Alice, 5000)).ok());
    const Status again = m_store->addPairingOffer(sampleOffer("code-1", Bob, 6000));
    QVERIFY(!again.ok());
    QCOMPARE(again.error().code, ErrorCode::InvalidField);
    QCOMPARE(m_store->pairingOffer(sha256("code-1"))->userId, Alice);
}

void TestSqliteStore::redeemsPairingOfferOnce()
{
    QVERIFY(m_store->addPairingOffer(sampleOffer("code-1", Alice, 5000)).ok());
    // The caller's userId is ignored: the offer decides whose device it is.
    const auto paired =
        m_store->redeemPairingOffer(sha256("code-1"), 4000, sampleDevice(QStringLiteral("d"), Bob));
    QVERIFY2(paired.ok(), paired.ok() ? "" : qPrintable(paired.error().message));
    QCOMPARE(paired->userId, Alice);
    QCOMPARE(m_store->device(QStringLiteral("d")), paired.value());
    QCOMPARE(m_store->pairingOffer(sha256("code-1"))->usedAt, std::optional<qint64>(4000));
}

void TestSqliteStore::refusesUsedPairingCode()
{
    QVERIFY(m_store->addPairingOffer(sampleOffer("code-1", Alice, 5000)).ok());
    QVERIFY(
        m_store
            ->redeemPairingOffer(sha256("code-1"), 4000, sampleDevice(QStringLiteral("d1"), Alice))
            .ok());
    const auto again = m_store->redeemPairingOffer(sha256("code-1"), 4001,
                                                   sampleDevice(QStringLiteral("d2"), Alice));
    QVERIFY(!again.ok());
    QCOMPARE(again.error().code, ErrorCode::InvalidField);
    QCOMPARE(again.error().message, InvalidCode);
    QVERIFY(!m_store->device(QStringLiteral("d2")).has_value());
    QCOMPARE(m_store->pairingOffer(sha256("code-1"))->usedAt, std::optional<qint64>(4000));
}

void TestSqliteStore::refusesExpiredPairingCode()
{
    QVERIFY(m_store->addPairingOffer(sampleOffer("code-1", Alice, 5000)).ok());
    // Expired at the deadline itself, not one second later.
    const auto expired = m_store->redeemPairingOffer(sha256("code-1"), 5000,
                                                     sampleDevice(QStringLiteral("d1"), Alice));
    QVERIFY(!expired.ok());
    QCOMPARE(expired.error().code, ErrorCode::InvalidField);
    QCOMPARE(expired.error().message, InvalidCode);
    QVERIFY(m_store->devices().isEmpty());
    QVERIFY(!m_store->pairingOffer(sha256("code-1"))->usedAt.has_value());
    QVERIFY(
        m_store
            ->redeemPairingOffer(sha256("code-1"), 4999, sampleDevice(QStringLiteral("d1"), Alice))
            .ok());
}

void TestSqliteStore::refusesWrongPairingCode()
{
    QVERIFY(m_store->addPairingOffer(sampleOffer("code-1", Alice, 5000)).ok());
    const auto wrong = m_store->redeemPairingOffer(sha256("code-2"), 4000,
                                                   sampleDevice(QStringLiteral("d1"), Alice));
    QVERIFY(!wrong.ok());
    QCOMPARE(wrong.error().code, ErrorCode::InvalidField);
    QCOMPARE(wrong.error().message, InvalidCode);
    QVERIFY(m_store->devices().isEmpty());
}

void TestSqliteStore::failedRedeemLeavesOfferUnused()
{
    // The device insert fails (its id is taken) after the offer check passed;
    // the whole redemption must roll back so the person can retry the code.
    QVERIFY(m_store->addDevice(sampleDevice(QStringLiteral("taken"), Bob)).ok());
    QVERIFY(m_store->addPairingOffer(sampleOffer("code-1", Alice, 5000)).ok());
    const auto clash = m_store->redeemPairingOffer(sha256("code-1"), 4000,
                                                   sampleDevice(QStringLiteral("taken"), Alice));
    QVERIFY(!clash.ok());
    QVERIFY(!m_store->pairingOffer(sha256("code-1"))->usedAt.has_value());
    QCOMPARE(m_store->device(QStringLiteral("taken"))->userId, Bob);
    QVERIFY(m_store
                ->redeemPairingOffer(sha256("code-1"), 4000,
                                     sampleDevice(QStringLiteral("fresh"), Alice))
                .ok());
}

void TestSqliteStore::redeemIsSingleUseAcrossInstances()
{
    // The CLI writes the offer while the server redeems it.
    auto cli = openStore();
    QVERIFY(cli);
    QVERIFY(cli->addPairingOffer(sampleOffer("code-1", Alice, 5000)).ok());
    QVERIFY(
        m_store
            ->redeemPairingOffer(sha256("code-1"), 4000, sampleDevice(QStringLiteral("d1"), Alice))
            .ok());
    const auto again =
        cli->redeemPairingOffer(sha256("code-1"), 4000, sampleDevice(QStringLiteral("d2"), Alice));
    QVERIFY(!again.ok());
    QCOMPARE(again.error().message, InvalidCode);
    QCOMPARE(cli->devices(Alice).size(), 1);
}

void TestSqliteStore::approvalRoundTrips()
{
    const ApprovalRecord approval = sampleApproval(QStringLiteral("req-1"), Alice, 5000);
    QVERIFY(m_store->addApproval(approval).ok());
    QCOMPARE(m_store->approval(approval.requestId), approval);
    QVERIFY(!m_store->approval(QStringLiteral("req-unknown")).has_value());

    ApprovalRecord single = sampleApproval(QStringLiteral("req-2"), Alice, 5000);
    single.methods = {ApprovalMethod::Totp};
    single.argumentsHash.clear();
    QVERIFY(m_store->addApproval(single).ok());
    QCOMPARE(m_store->approval(single.requestId), single);
}

void TestSqliteStore::resolvedApprovalRoundTrips()
{
    ApprovalRecord approval = sampleApproval(QStringLiteral("req-1"), Alice, 5000);
    approval.state = ApprovalState::Denied;
    approval.resolvedMethod = ApprovalMethod::Passkey;
    approval.resolvedByDevice = QStringLiteral("dev-1");
    approval.resolvedAt = 4900;
    approval.reason = QStringLiteral("not now");
    approval.failedAttempts = 2;
    QVERIFY(m_store->addApproval(approval).ok());
    QCOMPARE(m_store->approval(approval.requestId), approval);
}

void TestSqliteStore::refusesDuplicateApproval()
{
    QVERIFY(m_store->addApproval(sampleApproval(QStringLiteral("req-1"), Alice, 5000)).ok());
    const Status again = m_store->addApproval(sampleApproval(QStringLiteral("req-1"), Bob, 6000));
    QVERIFY(!again.ok());
    QCOMPARE(again.error().code, ErrorCode::InvalidField);
    QCOMPARE(m_store->approval(QStringLiteral("req-1"))->userId, Alice);
}

void TestSqliteStore::resolvesApprovalOnlyOnce()
{
    const QString id = QStringLiteral("req-1");
    QVERIFY(m_store->addApproval(sampleApproval(id, Alice, 5000)).ok());
    QVERIFY(m_store
                ->resolveApproval(id, ApprovalState::Approved, ApprovalMethod::Totp,
                                  QStringLiteral("dev-1"), 4000, {})
                .ok());
    const Status second =
        m_store->resolveApproval(id, ApprovalState::Denied, std::nullopt, QStringLiteral("dev-2"),
                                 4001, QStringLiteral("changed my mind"));
    QVERIFY(!second.ok());
    QCOMPARE(second.error().code, ErrorCode::InvalidField);

    const auto stored = m_store->approval(id);
    QCOMPARE(stored->state, ApprovalState::Approved);
    QCOMPARE(stored->resolvedMethod, std::optional<ApprovalMethod>(ApprovalMethod::Totp));
    QCOMPARE(stored->resolvedByDevice, QStringLiteral("dev-1"));
    QCOMPARE(stored->resolvedAt, 4000);
    QVERIFY(stored->reason.isEmpty());
}

void TestSqliteStore::resolvesApprovalOnlyOnceAcrossInstances()
{
    const QString id = QStringLiteral("req-1");
    auto other = openStore();
    QVERIFY(other);
    QVERIFY(m_store->addApproval(sampleApproval(id, Alice, 5000)).ok());
    QVERIFY(other
                ->resolveApproval(id, ApprovalState::Denied, std::nullopt, QStringLiteral("dev-2"),
                                  4000, QStringLiteral("no"))
                .ok());
    QVERIFY(!m_store
                 ->resolveApproval(id, ApprovalState::Approved, ApprovalMethod::Passkey,
                                   QStringLiteral("dev-1"), 4001, {})
                 .ok());
    QCOMPARE(m_store->approval(id)->state, ApprovalState::Denied);
}

void TestSqliteStore::refusesResolvingToPending()
{
    QVERIFY(m_store->addApproval(sampleApproval(QStringLiteral("req-1"), Alice, 5000)).ok());
    const Status pending = m_store->resolveApproval(QStringLiteral("req-1"), ApprovalState::Pending,
                                                    std::nullopt, {}, 4000, {});
    QVERIFY(!pending.ok());
    QCOMPARE(pending.error().code, ErrorCode::InvalidField);
}

void TestSqliteStore::refusesResolvingUnknownApproval()
{
    const Status unknown = m_store->resolveApproval(QStringLiteral("nope"), ApprovalState::Denied,
                                                    std::nullopt, {}, 4000, {});
    QVERIFY(!unknown.ok());
    QCOMPARE(unknown.error().code, ErrorCode::InvalidField);
}

void TestSqliteStore::refusesApprovingAfterExpiry()
{
    QVERIFY(m_store->addApproval(sampleApproval(QStringLiteral("req-1"), Alice, 5000)).ok());
    QVERIFY(!m_store
                 ->resolveApproval(QStringLiteral("req-1"), ApprovalState::Approved,
                                   ApprovalMethod::Passkey, QStringLiteral("dev-1"), 5000, {})
                 .ok());
    QCOMPARE(m_store->approval(QStringLiteral("req-1"))->state, ApprovalState::Pending);
}

void TestSqliteStore::refusesApprovingWithMethodNotOffered()
{
    ApprovalRecord approval = sampleApproval(QStringLiteral("req-1"), Alice, 5000);
    approval.methods = {ApprovalMethod::Passkey};
    QVERIFY(m_store->addApproval(approval).ok());
    QVERIFY(!m_store
                 ->resolveApproval(approval.requestId, ApprovalState::Approved,
                                   ApprovalMethod::Totp, QStringLiteral("dev-1"), 4000, {})
                 .ok());
    QVERIFY(!m_store
                 ->resolveApproval(approval.requestId, ApprovalState::Approved, std::nullopt,
                                   QStringLiteral("dev-1"), 4000, {})
                 .ok());
    QCOMPARE(m_store->approval(approval.requestId)->state, ApprovalState::Pending);
}

void TestSqliteStore::expiresApprovalAfterDeadline()
{
    QVERIFY(m_store->addApproval(sampleApproval(QStringLiteral("req-1"), Alice, 5000)).ok());
    QVERIFY(m_store
                ->resolveApproval(QStringLiteral("req-1"), ApprovalState::Expired, std::nullopt, {},
                                  5001, QStringLiteral("timed out"))
                .ok());
    const auto stored = m_store->approval(QStringLiteral("req-1"));
    QCOMPARE(stored->state, ApprovalState::Expired);
    QCOMPARE(stored->reason, QStringLiteral("timed out"));
    QVERIFY(!stored->resolvedMethod.has_value());
}

void TestSqliteStore::pendingApprovalsExcludeExpiredAndResolved()
{
    QVERIFY(m_store->addApproval(sampleApproval(QStringLiteral("live"), Alice, 5000)).ok());
    QVERIFY(m_store->addApproval(sampleApproval(QStringLiteral("expired"), Alice, 4000)).ok());
    QVERIFY(m_store->addApproval(sampleApproval(QStringLiteral("denied"), Alice, 5000)).ok());
    QVERIFY(m_store
                ->resolveApproval(QStringLiteral("denied"), ApprovalState::Denied, std::nullopt,
                                  QStringLiteral("dev-1"), 3500, {})
                .ok());

    const QList<ApprovalRecord> pending = m_store->pendingApprovals(Alice, 4000);
    QCOMPARE(pending.size(), 1);
    QCOMPARE(pending.constFirst(), m_store->approval(QStringLiteral("live")).value());
    QCOMPARE(m_store->pendingApprovals(Alice, 3999).size(), 2);
    QVERIFY(m_store->pendingApprovals(Alice, 5000).isEmpty());
}

void TestSqliteStore::pendingApprovalsFilterByUser()
{
    QVERIFY(m_store->addApproval(sampleApproval(QStringLiteral("a1"), Alice, 5000)).ok());
    QVERIFY(m_store->addApproval(sampleApproval(QStringLiteral("b1"), Bob, 5000)).ok());
    QVERIFY(m_store->addApproval(sampleApproval(QStringLiteral("a2"), Alice, 5000)).ok());

    QStringList ids;
    for (const ApprovalRecord &approval : m_store->pendingApprovals(Alice, 4000)) {
        QCOMPARE(approval.userId, Alice);
        ids.append(approval.requestId);
    }
    ids.sort();
    QCOMPARE(ids, (QStringList{QStringLiteral("a1"), QStringLiteral("a2")}));
    QCOMPARE(m_store->pendingApprovals(Bob, 4000).size(), 1);
    QCOMPARE(m_store->pendingApprovals(QString(), 4000).size(), 3);
    QVERIFY(m_store->pendingApprovals(QStringLiteral("carol"), 4000).isEmpty());
}

void TestSqliteStore::approvalKeepsAgentOriginAndOperation()
{
    ApprovalRecord approval = sampleApproval(QStringLiteral("a1"), Alice, 5000);
    approval.agent = QStringLiteral("agent-1");
    approval.origin = ApprovalOrigin::McpProxy;
    approval.dedupeKey = sha256("operation");
    QVERIFY(m_store->addApproval(approval).ok());
    QCOMPARE(m_store->approval(QStringLiteral("a1")), approval);
    QCOMPARE(approvalOriginName(ApprovalOrigin::AdminApi), QStringLiteral("admin"));
    QCOMPARE(approvalOriginFromName(u"mcp"), ApprovalOrigin::McpProxy);
    QVERIFY(!approvalOriginFromName(u"other"));
}

void TestSqliteStore::countsApprovalsPerUserAndAgent()
{
    // alice: two pending of agent-1 (one created at 4700, one at 4900), one
    // expired of agent-1, one denied of agent-2; bob: one of agent-1.
    const auto add = [this](const QString &id, const QString &user, const QString &agent,
                            qint64 createdAt, qint64 expiresAt) {
        ApprovalRecord approval = sampleApproval(id, user, expiresAt);
        approval.agent = agent;
        approval.createdAt = createdAt;
        return m_store->addApproval(approval).ok();
    };
    QVERIFY(add(QStringLiteral("a1"), Alice, QStringLiteral("agent-1"), 4700, 6000));
    QVERIFY(add(QStringLiteral("a2"), Alice, QStringLiteral("agent-1"), 4900, 6000));
    QVERIFY(add(QStringLiteral("a3"), Alice, QStringLiteral("agent-1"), 4950, 4990));
    QVERIFY(add(QStringLiteral("a4"), Alice, QStringLiteral("agent-2"), 4960, 6000));
    QVERIFY(m_store
                ->resolveApproval(QStringLiteral("a4"), ApprovalState::Denied, std::nullopt,
                                  QStringLiteral("dev"), 4970, QStringLiteral("no"))
                .ok());
    QVERIFY(add(QStringLiteral("b1"), Bob, QStringLiteral("agent-1"), 4950, 6000));

    const auto counts = m_store->approvalCounts(Alice, QStringLiteral("agent-1"), 5000, 4800);
    QVERIFY(counts.ok());
    QCOMPARE(counts->pendingForUser, 2); // a1, a2 (a3 expired, a4 denied)
    QCOMPARE(counts->pendingForAgent, 2);
    QCOMPARE(counts->createdForUser, 3);  // a2, a3, a4
    QCOMPARE(counts->createdForAgent, 2); // a2, a3
    const auto none = m_store->approvalCounts(QStringLiteral("carol"), {}, 5000, 4800);
    QVERIFY(none.ok());
    QCOMPARE(none->pendingForUser + none->createdForUser, 0);
}

void TestSqliteStore::listsDenialsOfAnAgentNewestFirst()
{
    for (int i = 0; i < 4; ++i) {
        ApprovalRecord approval =
            sampleApproval(QStringLiteral("d%1").arg(i), i == 3 ? Bob : Alice, 9000);
        approval.agent = QStringLiteral("agent-1");
        QVERIFY(m_store->addApproval(approval).ok());
        QVERIFY(m_store
                    ->resolveApproval(approval.requestId,
                                      i == 2 ? ApprovalState::Cancelled : ApprovalState::Denied,
                                      std::nullopt, QStringLiteral("dev"), 5000 + i * 10, {})
                    .ok());
    }
    const auto times = m_store->denialTimes(Alice, QStringLiteral("agent-1"), 5000);
    QVERIFY(times.ok());
    QCOMPARE(times.value(), (QList<qint64>{5010, 5000}));
    QCOMPARE(m_store->denialTimes(Alice, QStringLiteral("agent-1"), 5001)->size(), 1);
    QVERIFY(m_store->denialTimes(Alice, QStringLiteral("agent-2"), 0)->isEmpty());
}

void TestSqliteStore::findsTheApprovalOfAnOperation()
{
    const QByteArray key = sha256("alice agent-1 directory/disable_user hash");
    ApprovalRecord pending = sampleApproval(QStringLiteral("p1"), Alice, 6000);
    pending.dedupeKey = key;
    pending.createdAt = 4000;
    QVERIFY(m_store->addApproval(pending).ok());
    auto found = m_store->approvalForOperation(key, 5000, 4000);
    QVERIFY(found.ok() && found->has_value());
    QCOMPARE(found->value().requestId, QStringLiteral("p1"));
    // Expired: nothing to attach to.
    QVERIFY(!m_store->approvalForOperation(key, 6000, 0)->has_value());
    // No key (admin API): never matched.
    QVERIFY(!m_store->approvalForOperation({}, 5000, 0)->has_value());

    // Approved recently: found; approved long ago: not.
    QVERIFY(m_store
                ->resolveApproval(QStringLiteral("p1"), ApprovalState::Approved,
                                  ApprovalMethod::Totp, QStringLiteral("dev"), 5100, {})
                .ok());
    QVERIFY(m_store->approvalForOperation(key, 5200, 5100)->has_value());
    QVERIFY(!m_store->approvalForOperation(key, 5200, 5101)->has_value());
    // Denied: not.
    ApprovalRecord denied = sampleApproval(QStringLiteral("p2"), Alice, 6000);
    denied.dedupeKey = key;
    QVERIFY(m_store->addApproval(denied).ok());
    QVERIFY(m_store
                ->resolveApproval(QStringLiteral("p2"), ApprovalState::Denied, std::nullopt,
                                  QStringLiteral("dev"), 5150, {})
                .ok());
    QVERIFY(!m_store->approvalForOperation(key, 5200, 5101)->has_value());
}

void TestSqliteStore::findsEarliestPendingExpiry()
{
    QVERIFY(!m_store->earliestPendingExpiry().has_value());
    QVERIFY(m_store->addApproval(sampleApproval(QStringLiteral("late"), Alice, 9000)).ok());
    QVERIFY(m_store->addApproval(sampleApproval(QStringLiteral("soon"), Bob, 6000)).ok());
    QCOMPARE(m_store->earliestPendingExpiry(), std::optional<qint64>(6000));
    // Resolved requests no longer count.
    QVERIFY(m_store->resolveApproval(QStringLiteral("soon"), ApprovalState::Denied, std::nullopt,
                                     {}, 1000, QStringLiteral("no")));
    QCOMPARE(m_store->earliestPendingExpiry(), std::optional<qint64>(9000));
}

void TestSqliteStore::countsFailedAttempts()
{
    QVERIFY(m_store->addApproval(sampleApproval(QStringLiteral("req-1"), Alice, 5000)).ok());
    QCOMPARE(m_store->recordFailedAttempt(QStringLiteral("req-1")).value(), 1);
    QCOMPARE(m_store->recordFailedAttempt(QStringLiteral("req-1")).value(), 2);
    QCOMPARE(m_store->approval(QStringLiteral("req-1"))->failedAttempts, 2);
    const auto unknown = m_store->recordFailedAttempt(QStringLiteral("nope"));
    QVERIFY(!unknown.ok());
    QCOMPARE(unknown.error().code, ErrorCode::InvalidField);
}

void TestSqliteStore::markUsedIsSingleUse()
{
    const QString proof = QStringLiteral("proof");
    QCOMPARE(m_store->markUsed(proof, sha256("p1"), 9000).value(), true);
    QCOMPARE(m_store->markUsed(proof, sha256("p1"), 9000).value(), false);
    QCOMPARE(m_store->markUsed(proof, sha256("p1"), 99999).value(), false);
    // Same value under another kind, and another value, are separate.
    QCOMPARE(m_store->markUsed(QStringLiteral("totp-step"), sha256("p1"), 9000).value(), true);
    QCOMPARE(m_store->markUsed(proof, sha256("p2"), 9000).value(), true);
    QCOMPARE(m_store->markUsed(QString(), sha256("p3"), 9000).error().code,
             ErrorCode::InvalidField);
    QCOMPARE(m_store->markUsed(proof, QByteArray(), 9000).error().code, ErrorCode::InvalidField);
}

void TestSqliteStore::markUsedIsSingleUseAcrossInstances()
{
    auto cli = openStore();
    QVERIFY(cli);
    const QString kind = QStringLiteral("token-id");
    QCOMPARE(cli->markUsed(kind, "jti-1", 9000).value(), true);
    QCOMPARE(m_store->markUsed(kind, "jti-1", 9000).value(), false);
    QCOMPARE(m_store->markUsed(kind, "jti-2", 9000).value(), true);
    QCOMPARE(cli->markUsed(kind, "jti-2", 9000).value(), false);
}

void TestSqliteStore::purgeForgetsOnlyExpiredUsedValues()
{
    const QString kind = QStringLiteral("proof");
    QVERIFY(m_store->markUsed(kind, "old", 1000).value());
    QVERIFY(m_store->markUsed(kind, "new", 3000).value());
    // Not purged yet: still remembered even after keepUntil.
    QCOMPARE(m_store->markUsed(kind, "old", 1000).value(), false);
    QCOMPARE(m_store->purgeUsedValues(2000).value(), 1);
    QCOMPARE(m_store->markUsed(kind, "new", 3000).value(), false);
    QCOMPARE(m_store->markUsed(kind, "old", 1000).value(), true);
}

void TestSqliteStore::totpEnrollmentRoundTrips()
{
    const TotpEnrollment enrollment = sampleEnrollment(Alice);
    QVERIFY(m_store->setTotpEnrollment(enrollment).ok());
    QCOMPARE(m_store->totpEnrollment(Alice), enrollment);
    QVERIFY(!m_store->totpEnrollment(Bob).has_value());
}

void TestSqliteStore::totpEnrollmentIsReplaced()
{
    QVERIFY(m_store->setTotpEnrollment(sampleEnrollment(Alice)).ok());
    TotpEnrollment replacement = sampleEnrollment(Alice);
    replacement.secret = QByteArray("another seed of 20 b");
    replacement.algorithm = QStringLiteral("SHA1");
    replacement.digits = 6;
    replacement.createdAt = 1'800'000'000;
    QVERIFY(m_store->setTotpEnrollment(replacement).ok());
    QCOMPARE(m_store->totpEnrollment(Alice), replacement);
}

void TestSqliteStore::totpSecretIsNotStoredInPlaintext()
{
    const TotpEnrollment enrollment = sampleEnrollment(Alice);
    QVERIFY(m_store->setTotpEnrollment(enrollment).ok());

    RawDatabase raw(m_store->databasePath());
    const QByteArray stored = raw.scalar(QStringLiteral("SELECT secret_sealed FROM"
                                                        " totp_enrollments WHERE user_id = ?"),
                                         {Alice})
                                  .toByteArray();
    QVERIFY(stored.size() > enrollment.secret.size());
    QVERIFY(!stored.contains(enrollment.secret));
    QVERIFY(!stored.contains(enrollment.secret.toBase64()));
    // Nor anywhere in the files on disk (main file and write-ahead log).
    for (const QString &suffix : {QString(), QStringLiteral("-wal")}) {
        const QByteArray bytes = readFile(m_store->databasePath() + suffix);
        QVERIFY(!bytes.contains(enrollment.secret));
    }
}

void TestSqliteStore::totpEnrollmentSurvivesReopen()
{
    const TotpEnrollment enrollment = sampleEnrollment(Alice);
    QVERIFY(m_store->setTotpEnrollment(enrollment).ok());
    m_store.reset();
    m_store = openStore();
    QVERIFY(m_store);
    QCOMPARE(m_store->totpEnrollment(Alice), enrollment);
}

void TestSqliteStore::tamperedTotpCiphertextReadsAsMissing()
{
    QVERIFY(m_store->setTotpEnrollment(sampleEnrollment(Alice)).ok());
    {
        RawDatabase raw(m_store->databasePath());
        QByteArray sealed = raw.scalar(QStringLiteral("SELECT secret_sealed FROM"
                                                      " totp_enrollments WHERE user_id = ?"),
                                       {Alice})
                                .toByteArray();
        QVERIFY(sealed.size() > 20);
        sealed[20] = static_cast<char>(sealed[20] ^ 0x40);
        QVERIFY(raw.exec(QStringLiteral("UPDATE totp_enrollments SET secret_sealed = ?"
                                        " WHERE user_id = ?"),
                         {sealed, Alice}));
    }
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("cannot be decrypted")));
    QVERIFY(!m_store->totpEnrollment(Alice).has_value());
}

void TestSqliteStore::totpCiphertextMovedToOtherUserReadsAsMissing()
{
    QVERIFY(m_store->setTotpEnrollment(sampleEnrollment(Alice)).ok());
    TotpEnrollment bobs = sampleEnrollment(Bob);
    bobs.secret = QByteArray("bob's own seed......");
    QVERIFY(m_store->setTotpEnrollment(bobs).ok());
    {
        RawDatabase raw(m_store->databasePath());
        QVERIFY(raw.exec(QStringLiteral("UPDATE totp_enrollments SET secret_sealed ="
                                        " (SELECT secret_sealed FROM totp_enrollments WHERE "
                                        "user_id = ?) WHERE user_id = ?"),
                         {Alice, Bob}));
    }
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("cannot be decrypted")));
    QVERIFY(!m_store->totpEnrollment(Bob).has_value());
    QCOMPARE(m_store->totpEnrollment(Alice)->secret, sampleEnrollment(Alice).secret);
}

void TestSqliteStore::totpEnrollmentUnreadableWithOtherKey()
{
    QVERIFY(m_store->setTotpEnrollment(sampleEnrollment(Alice)).ok());
    m_store.reset();
    const QString keyPath = QDir(m_dataDir).filePath(QStringLiteral("secrets.key"));
    QVERIFY(QFile::remove(keyPath));
    m_store = openStore(); // creates a new key
    QVERIFY(m_store);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("cannot be decrypted")));
    QVERIFY(!m_store->totpEnrollment(Alice).has_value());
}

void TestSqliteStore::auditEventsRoundTripWithIncreasingIds()
{
    AuditEvent first;
    first.at = 1000;
    first.kind = QStringLiteral("pairing.completed");
    first.userId = Alice;
    first.deviceId = QStringLiteral("dev-1");
    first.details = QJsonObject{{QStringLiteral("name"), QStringLiteral("alice-laptop")}};
    AuditEvent second;
    second.at = 1001;
    second.kind = QStringLiteral("approval.requested");
    second.userId = Alice;
    second.requestId = QStringLiteral("req-1");
    QVERIFY(m_store->appendAudit(first).ok());
    QVERIFY(m_store->appendAudit(second).ok());

    const QList<AuditEvent> events = m_store->auditEvents();
    QCOMPARE(events.size(), 2);
    QVERIFY(events[0].id > 0);
    QVERIFY(events[1].id > events[0].id);
    first.id = events[0].id;
    second.id = events[1].id;
    // The store chains them (test_store_auditchain checks the hashes).
    QCOMPARE(events[1].prevHash, events[0].hash);
    first.prevHash = events[0].prevHash;
    first.hash = events[0].hash;
    second.prevHash = events[1].prevHash;
    second.hash = events[1].hash;
    QCOMPARE(events[0], first);
    QCOMPARE(events[1], second);
    AuditEvent noKind;
    QCOMPARE(m_store->appendAudit(noKind).error().code, ErrorCode::InvalidField);
}

void TestSqliteStore::auditEventsPageByIdAndLimit()
{
    for (int i = 0; i < 5; ++i) {
        AuditEvent event;
        event.at = 1000 + i;
        event.kind = QStringLiteral("approval.requested");
        QVERIFY(m_store->appendAudit(event).ok());
    }
    const QList<AuditEvent> all = m_store->auditEvents();
    QCOMPARE(all.size(), 5);
    const QList<AuditEvent> page = m_store->auditEvents(all[1].id, 2);
    QCOMPARE(page.size(), 2);
    QCOMPARE(page[0], all[2]);
    QCOMPARE(page[1], all[3]);
    QVERIFY(m_store->auditEvents(all[4].id).isEmpty());
    QVERIFY(m_store->auditEvents(0, 0).isEmpty());
}

void TestSqliteStore::auditUpdateIsRefusedByDatabase()
{
    AuditEvent event;
    event.at = 1000;
    event.kind = QStringLiteral("approval.approved");
    QVERIFY(m_store->appendAudit(event).ok());
    RawDatabase raw(m_store->databasePath());
    QVERIFY(!raw.exec(QStringLiteral("UPDATE audit_log SET kind = 'approval.denied'")));
    QVERIFY2(raw.query().lastError().text().contains(QStringLiteral("append-only")),
             qPrintable(raw.query().lastError().text()));
    QCOMPARE(m_store->auditEvents().constFirst().kind, QStringLiteral("approval.approved"));
}

void TestSqliteStore::auditDeleteIsRefusedByDatabase()
{
    AuditEvent event;
    event.at = 1000;
    event.kind = QStringLiteral("approval.approved");
    QVERIFY(m_store->appendAudit(event).ok());
    const qint64 firstId = m_store->auditEvents().constFirst().id;
    RawDatabase raw(m_store->databasePath());
    QVERIFY(!raw.exec(QStringLiteral("DELETE FROM audit_log")));
    QVERIFY2(raw.query().lastError().text().contains(QStringLiteral("append-only")),
             qPrintable(raw.query().lastError().text()));
    QCOMPARE(m_store->auditEvents().size(), 1);
    // Ids are never reused, even after the highest row is gone (AUTOINCREMENT).
    QVERIFY(m_store->appendAudit(event).ok());
    QVERIFY(m_store->auditEvents().constLast().id > firstId);
}

void TestSqliteStore::dataSurvivesCloseAndReopen()
{
    const DeviceRecord device = sampleDevice(QStringLiteral("dev-1"), Alice);
    QVERIFY(m_store->addDevice(device).ok());
    QVERIFY(m_store->addPairingOffer(sampleOffer("code-1", Alice, 5000)).ok());
    const ApprovalRecord approval = sampleApproval(QStringLiteral("req-1"), Alice, 5000);
    QVERIFY(m_store->addApproval(approval).ok());
    QVERIFY(m_store->markUsed(QStringLiteral("proof"), "p1", 9000).value());
    AuditEvent event;
    event.at = 1000;
    event.kind = QStringLiteral("pairing.completed");
    QVERIFY(m_store->appendAudit(event).ok());

    m_store.reset();
    m_store = openStore();
    QVERIFY(m_store);
    QCOMPARE(m_store->device(device.deviceId), device);
    QCOMPARE(m_store->pairingOffer(sha256("code-1")), sampleOffer("code-1", Alice, 5000));
    QCOMPARE(m_store->approval(approval.requestId), approval);
    QCOMPARE(m_store->markUsed(QStringLiteral("proof"), "p1", 9000).value(), false);
    QCOMPARE(m_store->auditEvents().size(), 1);
    QCOMPARE(m_store->auditEvents().constFirst().kind, event.kind);
}

void TestSqliteStore::refusesKeyFileReadableByOthers()
{
    m_store.reset();
    const QString keyPath = QDir(m_dataDir).filePath(QStringLiteral("secrets.key"));
    QCOMPARE(::chmod(QFile::encodeName(keyPath).constData(), 0644), 0);
    const auto store = SqliteStore::open(m_dataDir);
    QVERIFY(!store.ok());
    QCOMPARE(store.error().code, ErrorCode::StorageFailure);
    QVERIFY2(store.error().message.contains(keyPath), qPrintable(store.error().message));
}

namespace {

PasskeyCredential samplePasskey(const QByteArray &id, const QString &userId)
{
    PasskeyCredential credential;
    credential.credentialId = id;
    credential.userId = userId;
    credential.name = QStringLiteral("YubiKey");
    credential.publicKey = QByteArray(91, 'k');
    credential.signCount = 5;
    credential.userVerified = true;
    credential.createdAt = 1000;
    return credential;
}

} // namespace

void TestSqliteStore::passkeyUserHandleIsMadeOnce()
{
    const QByteArray first(32, 'a');
    QCOMPARE(m_store->passkeyUserHandle(QStringLiteral("alice"), first).value(), first);
    QCOMPARE(m_store->passkeyUserHandle(QStringLiteral("alice"), QByteArray(32, 'b')).value(),
             first);
    // Handles are unique: the same candidate for another user is refused.
    QVERIFY(!m_store->passkeyUserHandle(QStringLiteral("bob"), first).ok());
    QCOMPARE(m_store->passkeyUserHandle(QStringLiteral("bob"), QByteArray(32, 'c')).value(),
             QByteArray(32, 'c'));
}

void TestSqliteStore::addsPasskeysUpToTheLimit()
{
    const auto credential = samplePasskey("id-1", QStringLiteral("alice"));
    QCOMPARE(m_store->addPasskey(credential, 2).value(), PasskeyAddOutcome::Added);
    QCOMPARE(m_store->passkey("id-1"), credential);
    QCOMPARE(m_store->addPasskey(credential, 2).value(), PasskeyAddOutcome::Exists);
    QCOMPARE(m_store->addPasskey(samplePasskey("id-1", QStringLiteral("bob")), 2).value(),
             PasskeyAddOutcome::Exists);
    QCOMPARE(m_store->addPasskey(samplePasskey("id-2", QStringLiteral("alice")), 2).value(),
             PasskeyAddOutcome::Added);
    QCOMPARE(m_store->addPasskey(samplePasskey("id-3", QStringLiteral("alice")), 2).value(),
             PasskeyAddOutcome::TooMany);
    QCOMPARE(m_store->passkeys(QStringLiteral("alice")).size(), 2);
    QVERIFY(m_store->passkeys(QStringLiteral("bob")).isEmpty());
}

void TestSqliteStore::removesOnlyTheUsersPasskey()
{
    QVERIFY(m_store->addPasskey(samplePasskey("id-1", QStringLiteral("alice")), 10).ok());
    QCOMPARE(m_store->removePasskey(QStringLiteral("bob"), "id-1").value(), false);
    QCOMPARE(m_store->removePasskey(QStringLiteral("alice"), "id-1").value(), true);
    QVERIFY(!m_store->passkey("id-1"));
}

void TestSqliteStore::passkeyApprovalMovesCounterWithResolution()
{
    QVERIFY(m_store->addPasskey(samplePasskey("id-1", QStringLiteral("alice")), 10).ok());
    QVERIFY(
        m_store->addApproval(sampleApproval(QStringLiteral("req-1"), QStringLiteral("alice"), 5000))
            .ok());
    // Not increasing: nothing changes.
    QCOMPARE(m_store
                 ->approveWithPasskey(QStringLiteral("req-1"), QStringLiteral("dev-1"), 4000,
                                      PasskeyUse{"id-1", 5, true})
                 .value(),
             PasskeyApprovalOutcome::CounterNotIncreased);
    QCOMPARE(m_store->approval(QStringLiteral("req-1"))->state, ApprovalState::Pending);
    QCOMPARE(m_store->passkey("id-1")->signCount, 5u);

    QCOMPARE(m_store
                 ->approveWithPasskey(QStringLiteral("req-1"), QStringLiteral("dev-1"), 4000,
                                      PasskeyUse{"id-1", 6, true})
                 .value(),
             PasskeyApprovalOutcome::Approved);
    const auto approval = m_store->approval(QStringLiteral("req-1"));
    QCOMPARE(approval->state, ApprovalState::Approved);
    QCOMPARE(approval->resolvedMethod, std::optional(ApprovalMethod::Passkey));
    QVERIFY(approval->userVerified);
    QCOMPARE(m_store->passkey("id-1")->signCount, 6u);

    // Resolved already: refused, and the counter stays (same transaction).
    QVERIFY(!m_store
                 ->approveWithPasskey(QStringLiteral("req-1"), QStringLiteral("dev-1"), 4000,
                                      PasskeyUse{"id-1", 7, false})
                 .ok());
    QCOMPARE(m_store->passkey("id-1")->signCount, 6u);
}

void TestSqliteStore::approvalKeepsUserVerificationRequirement()
{
    ApprovalRecord approval =
        sampleApproval(QStringLiteral("req-1"), QStringLiteral("alice"), 5000);
    approval.userVerificationRequired = true;
    QVERIFY(m_store->addApproval(approval).ok());
    QCOMPARE(m_store->approval(QStringLiteral("req-1")), approval);
}

QTEST_GUILESS_MAIN(TestSqliteStore)
#include "test_sqlitestore.moc"
