#include "gatewayfixture.h"

#include "tests/support/samplemessages.h"

#include <QCryptographicHash>

namespace countersign::testing {

GatewayFixture::GatewayFixture(gateway::ChannelTimings timings, const QByteArray &yaml)
    : m_clock(QDateTime::currentSecsSinceEpoch())
    , m_timings(timings)
{
    if (!yaml.isEmpty()) {
        auto config = gateway::GatewayConfig::parse(yaml, QStringLiteral("test.yaml"));
        if (!config)
            qFatal("test config: %s", qPrintable(config.error().message));
        m_config = std::move(config).value();
        return;
    }
    m_config = gateway::GatewayConfig::parse(R"(
listen: 127.0.0.1:0
name: Test gateway
users: [alice@example.com, bob@example.com]
pairing:
  max_attempts_per_minute: 20
)",
                                             QStringLiteral("test.yaml"))
                   .value();
}

QByteArray GatewayFixture::proxyConfig(const QString &policyFile, const QString &agentName,
                                       const QByteArray &agentKey, const QString &directoryBinary)
{
    const QByteArray keyHash =
        QCryptographicHash::hash(agentKey, QCryptographicHash::Sha256).toHex();
    return QStringLiteral("listen: 127.0.0.1:0\nusers: [alice@example.com]\n"
                          "policy:\n  file: %1\n"
                          "agents:\n  - name: %2\n    user: alice@example.com\n    key_sha256: %3\n"
                          "upstreams:\n  - name: directory\n    command: [%4, --stdio, --users, "
                          "\"${DATA_DIR}/users.json\", --seed, --jwks-url, "
                          "\"${GATEWAY_URL}/.well-known/jwks.json\", --issuer, \"${GATEWAY_URL}\", "
                          "--audience, directory]\n")
        .arg(policyFile, agentName, QString::fromLatin1(keyHash), directoryBinary)
        .toUtf8();
}

GatewayFixture::GatewayFixture(gateway::GatewayConfig config)
    : m_clock(QDateTime::currentSecsSinceEpoch())
    , m_config(std::move(config))
{
}

bool GatewayFixture::start()
{
    // A restart keeps the port, as a real gateway's configured port would,
    // so that the gateway id companions pinned stays the same.
    if (m_runtime)
        m_config.listenPort = m_runtime->port();
    m_runtime.reset();
    auto runtime = gateway::GatewayRuntime::start(m_config, m_dir.path(), m_clock, m_timings);
    if (!runtime) {
        qWarning() << "gateway did not start:" << runtime.error().message;
        return false;
    }
    m_runtime = std::move(runtime).value();
    return true;
}

void GatewayFixture::stop()
{
    if (m_runtime)
        m_config.listenPort = m_runtime->port();
    m_runtime.reset();
}

std::unique_ptr<TestCompanion> GatewayFixture::pairedCompanion(const QString &userId)
{
    auto companion = std::make_unique<TestCompanion>(m_clock);
    const auto offer = m_runtime->pairing().createOffer(userId);
    if (!offer)
        return nullptr;
    const auto reply = companion->pair(offer->link);
    if (reply.status != 201)
        return nullptr;
    return companion;
}

Totp GatewayFixture::enrollTotp(const QString &userId)
{
    const OtpSecret secret = OtpSecret::generate().value();
    gateway::TotpEnrollment enrollment;
    enrollment.userId = userId;
    enrollment.secret = secret.bytes();
    enrollment.createdAt = m_clock.secondsSinceEpoch();
    (void)m_runtime->store().setTotpEnrollment(enrollment);
    return Totp::create(secret).value();
}

gateway::ApprovalRecord GatewayFixture::request(const QString &userId, qint64 timeoutSeconds)
{
    gateway::ApprovalSpec spec;
    spec.sarc = sampleSarc();
    spec.sarc.subject.id = userId;
    spec.timeoutSeconds = timeoutSeconds;
    spec.upstream = QStringLiteral("https://directory.example.com/mcp");
    spec.argumentsHash = QByteArray(32, 'a');
    return m_runtime->broker().create(spec).value();
}

} // namespace countersign::testing
