#include "gatewayfixture.h"
#include "protocol/tlspin.h"

#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSslSocket>

using namespace countersign;
using namespace countersign::testing;

// With tls: in the config the gateway speaks only https/wss, and a pairing
// link pins its self-signed certificate's key.
class TestGatewayTls : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void linkCarriesHttpsUrlAndKeyPin();
    void pairsAndConnectsOverTlsWithThePin();
    void refusesGatewayWhoseKeyDoesNotMatchThePin();
    void doesNotSpeakPlainHttp();

private:
    std::unique_ptr<GatewayFixture> m_fixture;
    QSslCertificate m_certificate;
};

void TestGatewayTls::initTestCase()
{
    if (!QSslSocket::supportsSsl())
        QFAIL("Qt has no TLS backend: install the OpenSSL 3 runtime (libssl3)");
    const QString data = QStringLiteral(COUNTERSIGN_TLS_DATA_DIR);
    const QString yaml = QStringLiteral("listen: 127.0.0.1:0\nname: TLS gateway\n"
                                        "tls:\n  certificate: %1/ec-cert.pem\n"
                                        "  private_key: %1/ec-key.pem\n"
                                        "users: [alice@example.com]\n")
                             .arg(data);
    m_fixture = std::make_unique<GatewayFixture>(gateway::ChannelTimings{}, yaml.toUtf8());
    QVERIFY(m_fixture->start());
    QFile pem(data + QStringLiteral("/ec-cert.pem"));
    QVERIFY(pem.open(QIODevice::ReadOnly));
    m_certificate = QSslCertificate(pem.readAll());
    QVERIFY(!m_certificate.isNull());
}

void TestGatewayTls::linkCarriesHttpsUrlAndKeyPin()
{
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QStringLiteral("alice@example.com"));
    QVERIFY(offer.ok());
    QCOMPARE(offer->link.gatewayUrl().scheme(), QStringLiteral("https"));
    QVERIFY(offer->link.hasSpkiPin());
    QCOMPARE(offer->link.spki(), spkiPin(m_certificate));
}

void TestGatewayTls::pairsAndConnectsOverTlsWithThePin()
{
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion);
    QVERIFY(companion->connectChannel());
    m_fixture->request();
    QVERIFY(companion->waitFor(QStringLiteral("approval.requested")));
}

void TestGatewayTls::refusesGatewayWhoseKeyDoesNotMatchThePin()
{
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QStringLiteral("alice@example.com"));
    // A link whose pin names another key, as a man in the middle would face.
    const auto forged = PairingLink::create(PairingLink::Fields{
        offer->link.gatewayUrl(), offer->link.code(), offer->link.keyThumbprint(),
        QStringLiteral("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), offer->link.displayName()});
    QVERIFY(forged.ok());
    const auto devicesBefore = m_fixture->gateway().store().devices().size();
    TestCompanion companion(m_fixture->clock());
    const auto reply = companion.pair(forged.value());
    QCOMPARE(reply.status, 0); // the TLS handshake failed: no HTTP status at all
    QCOMPARE(m_fixture->gateway().store().devices().size(), devicesBefore);
    // The code was never sent, so the genuine link still pairs.
    QCOMPARE(companion.pair(offer->link).status, 201);
}

void TestGatewayTls::doesNotSpeakPlainHttp()
{
    QUrl url = m_fixture->gateway().publicUrl();
    url.setScheme(QStringLiteral("http"));
    url.setPath(QStringLiteral("/healthz"));
    QNetworkAccessManager network;
    QNetworkReply *reply = network.get(QNetworkRequest(url));
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000);
    QVERIFY(reply->error() != QNetworkReply::NoError);
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 0);
    reply->deleteLater();
}

QTEST_GUILESS_MAIN(TestGatewayTls)
#include "test_gateway_tls.moc"
