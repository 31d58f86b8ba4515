#include "gateway/http/approvalpage.h"
#include "gatewayfixture.h"
#include "protocol/base64url.h"
#include "protocol/messages/bindingcode.h"
#include "tests/support/agenthelpers.h"
#include "tests/support/samplemessages.h"

#include <sys/stat.h>

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QUrlQuery>

using namespace countersign;
using namespace countersign::testing;

// The approval page of URL-mode elicitation (gateway/http/approvalpage.h)
// on a real gateway: what it shows, its headers, its links, and that every
// link that does not open a page gets one and the same 404.
class TestGatewayApprovalPage : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void linkIsOnThePublicUrl();
    void validLinkShowsTheRequest();
    void pageCarriesStrictHeaders();
    void pageHasNoWayToApprove();
    void escapesAgentSuppliedText();
    void stateEndpointFollowsTheApproval();
    void stateShowsDenialByTheCompanion();
    void refusedLinksAllGetTheSame404_data();
    void refusedLinksAllGetTheSame404();
    void linkExpiresWithTheApproval();
    void servesItsScriptAndStylesheet();
    void linkKeyIsPrivateAndSurvivesRestart();

private:
    struct Reply {
        int status = 0;
        QByteArray body;
        QHash<QByteArray, QByteArray> headers; // lower-case names
    };
    Reply get(const QString &urlOrPath);
    gateway::ApprovalRecord raise(const Sarc &sarc, qint64 timeoutSeconds = 120);
    QString link(const QString &approvalId) const
    {
        return m_fixture->gateway().approvalPage().linkFor(approvalId);
    }

    std::unique_ptr<GatewayFixture> m_fixture;
    QNetworkAccessManager m_network;
};

namespace {

// Text an agent controls, written to break out of HTML, attributes, the
// page's own templating (%1) and the reading order (bidi override).
const QString hostileScript = QStringLiteral("<script>alert(1)</script>");
const QString hostileAttribute = QStringLiteral("\"><img src=x onerror=alert(2)>");
const QString hostileQuote = QStringLiteral("' onmouseover='alert(3)");
const QString hostilePlaceholder = QStringLiteral("%1 %2 &amp;");
const QString bidiOverride = QStringLiteral("invoice\u202Etxt.exe");

Sarc hostileSarc()
{
    Sarc sarc = sampleSarc();
    sarc.resource.properties = QJsonObject{{QStringLiteral("arguments"),
                                            QJsonObject{{QStringLiteral("user"), hostileAttribute},
                                                        {QStringLiteral("note"), hostileQuote}}}};
    sarc.context.agentSupplied = QJsonObject{
        {QStringLiteral("reason"), hostileScript},
        {QStringLiteral("description"), hostilePlaceholder},
        {QStringLiteral("file"), bidiOverride},
        {hostileScript, QStringLiteral("a hostile member name")},
    };
    return sarc;
}

QString withToken(const QString &url, const QString &token)
{
    QUrl changed(url);
    changed.setQuery(QStringLiteral("t=") + token);
    return changed.toString(QUrl::FullyEncoded);
}

QString tokenOf(const QString &url)
{
    return QUrlQuery(QUrl(url)).queryItemValue(QStringLiteral("t"), QUrl::FullyDecoded);
}

} // namespace

void TestGatewayApprovalPage::init()
{
    m_fixture = std::make_unique<GatewayFixture>();
    QVERIFY(m_fixture->start());
}

void TestGatewayApprovalPage::cleanup()
{
    m_fixture.reset();
}

TestGatewayApprovalPage::Reply TestGatewayApprovalPage::get(const QString &urlOrPath)
{
    QUrl url(urlOrPath);
    if (url.isRelative()) {
        url = m_fixture->gateway().publicUrl();
        const qsizetype query = urlOrPath.indexOf(u'?');
        url.setPath(urlOrPath.left(query < 0 ? urlOrPath.size() : query));
        if (query >= 0)
            url.setQuery(urlOrPath.mid(query + 1), QUrl::StrictMode);
    }
    QNetworkRequest request(url);
    QNetworkReply *reply = m_network.get(request);
    [&] { QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000); }();
    Reply result;
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.body = reply->readAll();
    for (const auto &header : reply->rawHeaderPairs())
        result.headers.insert(header.first.toLower(), header.second);
    reply->deleteLater();
    return result;
}

gateway::ApprovalRecord TestGatewayApprovalPage::raise(const Sarc &sarc, qint64 timeoutSeconds)
{
    gateway::ApprovalSpec spec;
    spec.sarc = sarc;
    spec.sarc.subject.id = QString::fromLatin1(GatewayFixture::user);
    spec.timeoutSeconds = timeoutSeconds;
    spec.upstream = QStringLiteral("https://directory.example.com/mcp");
    spec.argumentsHash = QByteArray(32, 'a');
    return m_fixture->gateway().broker().create(spec).value();
}

void TestGatewayApprovalPage::linkIsOnThePublicUrl()
{
    const auto approval = m_fixture->request();
    const QString url = link(approval.requestId);
    QString base = m_fixture->gateway().publicUrl().toString(QUrl::FullyEncoded);
    while (base.endsWith(u'/'))
        base.chop(1);
    QVERIFY2(url.startsWith(base + QStringLiteral("/approve/") + approval.requestId
                            + QStringLiteral("?t=")),
             qPrintable(url));
    // 8 bytes of expiry and a 32-byte MAC, base64url.
    const auto token = base64UrlDecode(tokenOf(url).toLatin1());
    QVERIFY(token.ok());
    QCOMPARE(token->size(), 40);
    // Unguessable and bound to the approval: another approval, another MAC.
    const auto other = m_fixture->request();
    QVERIFY(tokenOf(link(other.requestId)) != tokenOf(url));
    QVERIFY(link(QStringLiteral("no-such-approval")).isEmpty());
}

void TestGatewayApprovalPage::validLinkShowsTheRequest()
{
    const auto approval = m_fixture->request();
    const Reply reply = get(link(approval.requestId));
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.headers.value("content-type"), QByteArray("text/html; charset=utf-8"));
    const QString html = QString::fromUtf8(reply.body);
    const QString code = bindingCodeForRequestHash(approval.requestHash);
    QVERIFY(html.contains(QStringLiteral("<p class=\"binding-code\" id=\"binding-code\">") + code
                          + QStringLiteral("</p>")));
    QVERIFY(html.contains(QStringLiteral("data-state=\"waiting\"")));
    QVERIFY(html.contains(QStringLiteral("Waiting for your decision")));
    // SARC: what the gateway verified, and apart from it what the agent wrote.
    const qsizetype verified = html.indexOf(QStringLiteral("Verified by the gateway"));
    const qsizetype unverified = html.indexOf(QStringLiteral("supplied by the agent"));
    QVERIFY(verified > 0 && unverified > verified);
    for (const QString &fact :
         {QStringLiteral("alice@example.com"), QStringLiteral("claude-code"),
          QStringLiteral("disable_user"), QStringLiteral("directory/disable_user (tool)"),
          QStringLiteral("&quot;user&quot;: &quot;bob&quot;"), QStringLiteral("s-1")}) {
        const qsizetype at = html.indexOf(fact);
        QVERIFY2(at > verified && at < unverified, qPrintable(fact));
    }
    QVERIFY(html.indexOf(QStringLiteral("Bob left the company")) > unverified);
    // Its script and stylesheet, same-origin, relative to the page.
    QVERIFY(html.contains(QStringLiteral("<script src=\"assets/approval.js\" defer></script>")));
    QVERIFY(
        html.contains(QStringLiteral("<link rel=\"stylesheet\" href=\"assets/approval.css\">")));
}

void TestGatewayApprovalPage::pageCarriesStrictHeaders()
{
    const auto approval = m_fixture->request();
    for (const QString &url :
         {link(approval.requestId),
          QUrl(link(approval.requestId))
              .adjusted(QUrl::RemoveQuery)
              .toString()
              .append(QStringLiteral("/state?t=") + tokenOf(link(approval.requestId))),
          QStringLiteral("/approve/nope?t=x")}) {
        const Reply reply = get(url);
        const QByteArray csp = reply.headers.value("content-security-policy");
        for (const char *directive :
             {"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
              "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"}) {
            QVERIFY2(csp.contains(directive),
                     qPrintable(url + QStringLiteral(": ") + QString::fromLatin1(csp)));
        }
        QVERIFY(!csp.contains("unsafe-inline"));
        QVERIFY(!csp.contains("unsafe-eval"));
        QCOMPARE(reply.headers.value("x-content-type-options"), QByteArray("nosniff"));
        QCOMPARE(reply.headers.value("referrer-policy"), QByteArray("no-referrer"));
        QCOMPARE(reply.headers.value("cache-control"), QByteArray("no-store"));
        QCOMPARE(reply.headers.value("x-frame-options"), QByteArray("DENY"));
    }
}

void TestGatewayApprovalPage::pageHasNoWayToApprove()
{
    const auto approval = m_fixture->request();
    const QString html = QString::fromUtf8(get(link(approval.requestId)).body);
    QVERIFY(html.contains(QStringLiteral("Approve in Countersign on your desktop.")));
    for (const QString &control :
         {QStringLiteral("<form"), QStringLiteral("<button"), QStringLiteral("<input"),
          QStringLiteral("<a "), QStringLiteral("onclick"), QStringLiteral("style=")}) {
        QVERIFY2(!html.contains(control, Qt::CaseInsensitive), qPrintable(control));
    }
    // No inline script: the one <script> element has a src and no content.
    QCOMPARE(html.count(QStringLiteral("<script")), 1);
    QVERIFY(html.contains(QStringLiteral("defer></script>")));
    // Nothing on the page's paths takes anything but GET.
    QNetworkRequest post(QUrl(link(approval.requestId)));
    post.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    QNetworkReply *reply = m_network.post(post, QByteArray("{\"approve\":true}"));
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000);
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 404);
    reply->deleteLater();
    QCOMPARE(m_fixture->gateway().broker().approval(approval.requestId)->state,
             gateway::ApprovalState::Pending);
}

void TestGatewayApprovalPage::escapesAgentSuppliedText()
{
    const auto approval = raise(hostileSarc());
    const Reply reply = get(link(approval.requestId));
    QCOMPARE(reply.status, 200);
    const QString html = QString::fromUtf8(reply.body);
    for (const QString &raw : {hostileScript, hostileAttribute, hostileQuote, bidiOverride,
                               QStringLiteral("<img"), QStringLiteral("'alert(3)")}) {
        QVERIFY2(!html.contains(raw), qPrintable(raw));
    }
    QVERIFY(html.contains(QStringLiteral("&lt;script&gt;alert(1)&lt;/script&gt;")));
    QVERIFY(html.contains(QStringLiteral("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;")));
    QVERIFY(html.contains(QStringLiteral("&#39; onmouseover=&#39;alert(3)")));
    // The page's own template is not re-applied to the agent's text.
    QVERIFY(html.contains(QStringLiteral("%1 %2 &amp;amp;")));
    // A bidi override is shown, not obeyed.
    QVERIFY(html.contains(QStringLiteral("invoice[U+202E]txt.exe")));
    QCOMPARE(html.count(QStringLiteral("<script")), 1);
}

void TestGatewayApprovalPage::stateEndpointFollowsTheApproval()
{
    const auto approval = m_fixture->request();
    const QString page = link(approval.requestId);
    const QString stateUrl = QUrl(page).adjusted(QUrl::RemoveQuery).toString()
        + QStringLiteral("/state?t=") + tokenOf(page);
    Reply reply = get(stateUrl);
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.headers.value("content-type"), QByteArray("application/json"));
    QJsonObject body = QJsonDocument::fromJson(reply.body).object();
    QCOMPARE(body.value(QStringLiteral("state")).toString(), QStringLiteral("waiting"));
    QCOMPARE(body.value(QStringLiteral("expires_at")).toInteger(), approval.expiresAt);

    QVERIFY(m_fixture->gateway()
                .broker()
                .cancel(approval.requestId, QStringLiteral("the agent gave up"))
                .ok());
    reply = get(stateUrl);
    body = QJsonDocument::fromJson(reply.body).object();
    QCOMPARE(body.value(QStringLiteral("state")).toString(), QStringLiteral("cancelled"));
    QVERIFY(body.value(QStringLiteral("label")).toString().startsWith(QStringLiteral("Cancelled")));
    // The page itself says so too, when loaded again.
    QVERIFY(get(page).body.contains("data-state=\"cancelled\""));
}

void TestGatewayApprovalPage::stateShowsDenialByTheCompanion()
{
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    const auto approval = m_fixture->request();
    const auto request = nextApprovalRequest(*companion);
    QVERIFY(request);
    const QString page = link(approval.requestId);
    const QString stateUrl = QUrl(page).adjusted(QUrl::RemoveQuery).toString()
        + QStringLiteral("/state?t=") + tokenOf(page);
    companion->deny(*request, QStringLiteral("not me"));
    QVERIFY(companion->waitFor(QStringLiteral("approval.resolved")));
    const QJsonObject body = QJsonDocument::fromJson(get(stateUrl).body).object();
    QCOMPARE(body.value(QStringLiteral("state")).toString(), QStringLiteral("denied"));
}

void TestGatewayApprovalPage::refusedLinksAllGetTheSame404_data()
{
    QTest::addColumn<QString>("kind");
    QTest::newRow("no token") << QStringLiteral("none");
    QTest::newRow("empty token") << QStringLiteral("empty");
    QTest::newRow("one character changed") << QStringLiteral("flipped");
    QTest::newRow("token of another approval") << QStringLiteral("other");
    QTest::newRow("forged MAC") << QStringLiteral("forged");
    QTest::newRow("later expiry, same MAC") << QStringLiteral("extended");
    QTest::newRow("token given twice") << QStringLiteral("twice");
    QTest::newRow("too long") << QStringLiteral("long");
    QTest::newRow("unknown id") << QStringLiteral("unknown");
    QTest::newRow("unknown id, valid-looking token") << QStringLiteral("unknown-forged");
}

void TestGatewayApprovalPage::refusedLinksAllGetTheSame404()
{
    QFETCH(QString, kind);
    const auto approval = m_fixture->request();
    const auto other = m_fixture->request();
    const QString page = link(approval.requestId);
    const QString token = tokenOf(page);
    QByteArray raw = base64UrlDecode(token.toLatin1()).value();

    QString url;
    if (kind == u"none") {
        url = QUrl(page).adjusted(QUrl::RemoveQuery).toString();
    } else if (kind == u"empty") {
        url = withToken(page, QString());
    } else if (kind == u"flipped") {
        QString changed = token;
        changed[20] = changed[20] == u'A' ? u'B' : u'A';
        url = withToken(page, changed);
    } else if (kind == u"other") {
        url = withToken(page, tokenOf(link(other.requestId)));
    } else if (kind == u"forged") {
        raw.replace(8, 32, QByteArray(32, '\x42'));
        url = withToken(page, QString::fromLatin1(base64UrlEncode(raw)));
    } else if (kind == u"extended") {
        raw[7] = static_cast<char>(raw[7] + 1);
        url = withToken(page, QString::fromLatin1(base64UrlEncode(raw)));
    } else if (kind == u"twice") {
        url = page + QStringLiteral("&t=") + token;
    } else if (kind == u"long") {
        url = withToken(page, token + QStringLiteral("AAAA"));
    } else if (kind == u"unknown") {
        url = withToken(page, token).replace(approval.requestId, QStringLiteral("unknown-id"));
    } else {
        url = withToken(page, token).replace(approval.requestId, other.requestId + u'x');
    }
    const Reply refused = get(url);
    QCOMPARE(refused.status, 404);
    // Exactly the answer of a path that never existed with any token.
    const Reply reference =
        get(QStringLiteral("/approve/") + QString(40, u'z') + QStringLiteral("?t=") + token);
    QCOMPARE(reference.status, 404);
    QCOMPARE(refused.body, reference.body);
    QCOMPARE(refused.headers.value("content-type"), reference.headers.value("content-type"));
    QCOMPARE(refused.headers.value("content-security-policy"),
             reference.headers.value("content-security-policy"));
    QVERIFY(!refused.body.contains(approval.requestId.toUtf8()));
    // The state endpoint answers the same.
    QUrl stateUrl(url);
    stateUrl.setPath(stateUrl.path() + QStringLiteral("/state"));
    const Reply state = get(stateUrl.toString(QUrl::FullyEncoded));
    QCOMPARE(state.status, 404);
    QCOMPARE(state.body, reference.body);
    // And the real link still works.
    QCOMPARE(get(page).status, 200);
}

void TestGatewayApprovalPage::linkExpiresWithTheApproval()
{
    const auto approval = m_fixture->request(QString::fromLatin1(GatewayFixture::user), 60);
    const QString page = link(approval.requestId);
    m_fixture->clock().set(approval.expiresAt - 1);
    QCOMPARE(get(page).status, 200);
    m_fixture->clock().set(approval.expiresAt);
    const Reply expired = get(page);
    QCOMPARE(expired.status, 404);
    QCOMPARE(expired.body, get(QStringLiteral("/approve/unknown?t=x")).body);
}

void TestGatewayApprovalPage::servesItsScriptAndStylesheet()
{
    const Reply script = get(QStringLiteral("/approve/assets/approval.js"));
    QCOMPARE(script.status, 200);
    QCOMPARE(script.headers.value("content-type"), QByteArray("text/javascript; charset=utf-8"));
    QVERIFY(script.body.contains("textContent"));
    QVERIFY(!script.body.contains("innerHTML"));
    QCOMPARE(script.headers.value("x-content-type-options"), QByteArray("nosniff"));
    const Reply stylesheet = get(QStringLiteral("/approve/assets/approval.css"));
    QCOMPARE(stylesheet.status, 200);
    QCOMPARE(stylesheet.headers.value("content-type"), QByteArray("text/css; charset=utf-8"));
    QVERIFY(stylesheet.body.contains(".binding-code"));
    // No third-party anything.
    for (const QByteArray &body : {script.body, stylesheet.body}) {
        QVERIFY(!body.contains("http://"));
        QVERIFY(!body.contains("https://"));
        QVERIFY(!body.contains("@import"));
    }
}

void TestGatewayApprovalPage::linkKeyIsPrivateAndSurvivesRestart()
{
    const QString keyFile =
        m_fixture->dataDir() + u'/' + gateway::ApprovalPage::keyFileName.toString();
    struct stat info {};
    QCOMPARE(::stat(QFile::encodeName(keyFile).constData(), &info), 0);
    QCOMPARE(info.st_mode & 0777u, 0600u);
    QCOMPARE(static_cast<qint64>(info.st_size), qint64(32));

    const auto approval = m_fixture->request();
    const QString page = link(approval.requestId);
    m_fixture->stop();
    QVERIFY(m_fixture->start()); // on the same port and data dir
    QCOMPARE(get(page).status, 200);

    // A key file others may read is refused at start, like the other keys.
    m_fixture->stop();
    QCOMPARE(::chmod(QFile::encodeName(keyFile).constData(), 0644), 0);
    QVERIFY(!m_fixture->start());
}

QTEST_GUILESS_MAIN(TestGatewayApprovalPage)
#include "test_gateway_approvalpage.moc"
