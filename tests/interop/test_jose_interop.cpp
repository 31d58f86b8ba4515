#include "protocol/base64url.h"
#include "protocol/jose/jws.h"
#include "tests/support/toolrunner.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using countersign::testing::requiredTool;
using countersign::testing::runTool;

namespace {

const QByteArray payload = R"({"request_id":"r1","decision":"approve","note":"héllo"})";

QByteArray compactJson(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

} // namespace

// Our JWS, JWK and thumbprints must be standard: an independent
// implementation verifies what we sign, and we verify what it signs.
class TestJoseInterop : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    // The `jose` Debian package (José, C).
    void joseCliVerifiesOurJws();
    void joseCliRefusesOurTamperedJws();
    void weVerifyJoseCliJws();
    void thumbprintMatchesJoseCli();

    // The npm `jose` package (JavaScript).
    void npmJoseVerifiesOurJws();
    void weVerifyNpmJoseJws();
    void thumbprintMatchesNpmJose();

private:
    QString writeFile(const QString &name, const QByteArray &content);
    testing::ToolRun node(const QStringList &arguments);

    QTemporaryDir m_dir;
    QString m_joseCli;
    QString m_node;
    std::optional<EcPrivateKey> m_key;
    QByteArray m_token;
};

void TestJoseInterop::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_joseCli = requiredTool(QStringLiteral("jose"));
    QVERIFY2(!m_joseCli.isEmpty(), "the `jose` command is missing: apt-get install jose");
    m_node = requiredTool(QStringLiteral("node"));
    QVERIFY2(!m_node.isEmpty(), "node is missing: apt-get install nodejs npm");
    QVERIFY2(QDir(QStringLiteral(COUNTERSIGN_INTEROP_DIR "/node_modules/jose")).exists(),
             "npm packages missing: run `npm ci` in tests/interop (scripts/test does)");
    auto key = EcPrivateKey::generate();
    QVERIFY(key.ok());
    m_key = key.value();
    auto token = Jws::sign(payload, *m_key, QStringLiteral("countersign-proof+jwt"),
                           m_key->publicKey().thumbprint());
    QVERIFY(token.ok());
    m_token = token.value();
}

QString TestJoseInterop::writeFile(const QString &name, const QByteArray &content)
{
    const QString path = m_dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size())
        return {};
    return path;
}

testing::ToolRun TestJoseInterop::node(const QStringList &arguments)
{
    return runTool(
        m_node, QStringList{QStringLiteral(COUNTERSIGN_INTEROP_DIR "/jws-tool.mjs")} + arguments);
}

void TestJoseInterop::joseCliVerifiesOurJws()
{
    QJsonObject jwk = m_key->publicKey().toJwk();
    jwk.insert(QStringLiteral("alg"), QStringLiteral("ES256"));
    const QString keyFile = writeFile(QStringLiteral("ours.jwk"), compactJson(jwk));
    const QString tokenFile = writeFile(QStringLiteral("ours.jws"), m_token);
    const auto run =
        runTool(m_joseCli,
                {QStringLiteral("jws"), QStringLiteral("ver"), QStringLiteral("-i"), tokenFile,
                 QStringLiteral("-k"), keyFile, QStringLiteral("-O"), QStringLiteral("-")});
    QVERIFY2(run.succeeded(), run.err.constData());
    QCOMPARE(run.out, payload);
}

void TestJoseInterop::joseCliRefusesOurTamperedJws()
{
    // Shows the check above can fail: one changed payload byte is refused.
    QJsonObject jwk = m_key->publicKey().toJwk();
    jwk.insert(QStringLiteral("alg"), QStringLiteral("ES256"));
    const QList<QByteArray> parts = m_token.split('.');
    const QByteArray tampered = parts[0] + '.'
        + base64UrlEncode(QByteArray(payload).replace("approve", "approvf")) + '.' + parts[2];
    const auto run =
        runTool(m_joseCli,
                {QStringLiteral("jws"), QStringLiteral("ver"), QStringLiteral("-i"),
                 writeFile(QStringLiteral("tampered.jws"), tampered), QStringLiteral("-k"),
                 writeFile(QStringLiteral("ours2.jwk"), compactJson(jwk))});
    QVERIFY(run.started);
    QVERIFY(run.exitCode != 0);
}

void TestJoseInterop::weVerifyJoseCliJws()
{
    const QString keyFile = m_dir.filePath(QStringLiteral("cli.jwk"));
    auto run = runTool(m_joseCli,
                       {QStringLiteral("jwk"), QStringLiteral("gen"), QStringLiteral("-i"),
                        QStringLiteral(R"({"alg":"ES256"})"), QStringLiteral("-o"), keyFile});
    QVERIFY2(run.succeeded(), run.err.constData());
    run = runTool(m_joseCli,
                  {QStringLiteral("jws"), QStringLiteral("sig"), QStringLiteral("-I"),
                   writeFile(QStringLiteral("payload.json"), payload), QStringLiteral("-k"),
                   keyFile, QStringLiteral("-c")});
    QVERIFY2(run.succeeded(), run.err.constData());
    const QByteArray token = run.out.trimmed();
    run = runTool(m_joseCli,
                  {QStringLiteral("jwk"), QStringLiteral("pub"), QStringLiteral("-i"), keyFile});
    QVERIFY2(run.succeeded(), run.err.constData());
    const auto publicKey = EcPublicKey::fromJwk(QJsonDocument::fromJson(run.out).object());
    QVERIFY2(publicKey.ok(), publicKey.ok() ? "" : qPrintable(publicKey.error().message));

    const auto verified = Jws::verify(token, publicKey.value());
    QVERIFY2(verified.ok(), verified.ok() ? "" : qPrintable(verified.error().message));
    QCOMPARE(verified->payload, payload);
    QCOMPARE(Jws::verify(token, m_key->publicKey()).error().code, ErrorCode::BadSignature);
}

void TestJoseInterop::thumbprintMatchesJoseCli()
{
    const auto run = runTool(m_joseCli,
                             {QStringLiteral("jwk"), QStringLiteral("thp"), QStringLiteral("-a"),
                              QStringLiteral("S256"), QStringLiteral("-i"), QStringLiteral("-")},
                             compactJson(m_key->publicKey().toJwk()));
    QVERIFY2(run.succeeded(), run.err.constData());
    QCOMPARE(QString::fromLatin1(run.out.trimmed()), m_key->publicKey().thumbprint());
}

void TestJoseInterop::npmJoseVerifiesOurJws()
{
    const auto run =
        node({QStringLiteral("verify"), QString::fromUtf8(compactJson(m_key->publicKey().toJwk())),
              QString::fromLatin1(m_token)});
    QVERIFY2(run.succeeded(), run.err.constData());
    QCOMPARE(run.out, payload);

    const auto other = EcPrivateKey::generate();
    const auto wrongKey =
        node({QStringLiteral("verify"), QString::fromUtf8(compactJson(other->publicKey().toJwk())),
              QString::fromLatin1(m_token)});
    QVERIFY(wrongKey.started);
    QVERIFY(wrongKey.exitCode != 0);
    QVERIFY(wrongKey.err.contains("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"));
}

void TestJoseInterop::weVerifyNpmJoseJws()
{
    const auto run = node({QStringLiteral("sign"), QString::fromUtf8(payload)});
    QVERIFY2(run.succeeded(), run.err.constData());
    const QJsonObject result = QJsonDocument::fromJson(run.out).object();
    const auto publicKey = EcPublicKey::fromJwk(result.value(QStringLiteral("jwk")).toObject());
    QVERIFY(publicKey.ok());
    const QByteArray token = result.value(QStringLiteral("token")).toString().toLatin1();
    const auto verified = Jws::verify(token, publicKey.value(), QStringLiteral("interop+jwt"));
    QVERIFY2(verified.ok(), verified.ok() ? "" : qPrintable(verified.error().message));
    QCOMPARE(verified->payload, payload);
}

void TestJoseInterop::thumbprintMatchesNpmJose()
{
    const auto run = node(
        {QStringLiteral("thumbprint"), QString::fromUtf8(compactJson(m_key->publicKey().toJwk()))});
    QVERIFY2(run.succeeded(), run.err.constData());
    QCOMPARE(QString::fromLatin1(run.out), m_key->publicKey().thumbprint());
}

QTEST_GUILESS_MAIN(TestJoseInterop)
#include "test_jose_interop.moc"
