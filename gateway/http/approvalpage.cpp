#include "approvalpage.h"

#include "gateway/approvals/approvalbroker.h"
#include "gateway/keys/privatefile.h"
#include "protocol/base64url.h"
#include "protocol/displaytext.h"
#include "protocol/messages/bindingcode.h"
#include "protocol/randombytes.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QtEndian>

#include <openssl/crypto.h>

namespace countersign::gateway {

namespace {

// Domain separation: a MAC made with this key for anything else never
// passes for a link.
constexpr QByteArrayView TokenLabel{"countersign approval link v1\n"};
constexpr qsizetype ExpirySize = 8;
constexpr qsizetype MacSize = 32;
// base64url of 40 bytes, no padding.
constexpr qsizetype TokenLength = ((ExpirySize + MacSize) * 4 + 2) / 3;

const QString assetsSegment = QStringLiteral("assets");

// Every answer of the page, the 404 included: the page runs only its own
// same-origin script and stylesheet, talks only to its own origin, cannot be
// framed, posts no form and leaks the token in its URL to nobody.
void secure(HttpResponse &response)
{
    response.setHeader("Content-Security-Policy",
                       "default-src 'none'; script-src 'self'; style-src 'self'; "
                       "connect-src 'self'; base-uri 'none'; form-action 'none'; "
                       "frame-ancestors 'none'");
    response.setHeader("X-Content-Type-Options", "nosniff");
    response.setHeader("Referrer-Policy", "no-referrer");
    response.setHeader("Cache-Control", "no-store");
    response.setHeader("X-Frame-Options", "DENY");
    response.setHeader("Cross-Origin-Opener-Policy", "same-origin");
    response.setHeader("Cross-Origin-Resource-Policy", "same-origin");
}

HttpResponse secured(HttpResponse response)
{
    secure(response);
    return response;
}

// One answer for every link that does not open a page: unknown id, wrong,
// forged or expired token. Nothing in it depends on which.
HttpResponse notFound()
{
    return secured(
        HttpResponse("text/html; charset=utf-8",
                     "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<title>Not found</title></head><body><h1>Not found</h1>"
                     "<p>This approval link is not valid or has expired. Look for the request in "
                     "Countersign on your desktop.</p></body></html>\n",
                     HttpStatus::notFound));
}

// Text for HTML element content and double- or single-quoted attributes.
// Characters that make text read differently from what it is (controls,
// bidi overrides: protocol/displaytext.h) are shown as their code point,
// so hostile text can neither hide nor reorder what the person reads.
QString escaped(QStringView text)
{
    QString out;
    out.reserve(text.size() + text.size() / 8);
    for (qsizetype i = 0; i < text.size(); ++i) {
        char32_t codePoint = text[i].unicode();
        if (QChar::isHighSurrogate(codePoint) && i + 1 < text.size()
            && text[i + 1].isLowSurrogate()) {
            codePoint = QChar::surrogateToUcs4(text[i], text[i + 1]);
            ++i;
        }
        if (codePoint == U'\n') { // the only control that reads as itself
            out += u'\n';
        } else if (isDisplayUnsafe(codePoint) || QChar::isSurrogate(codePoint)) {
            out += QStringLiteral("[U+%1]")
                       .arg(static_cast<uint>(codePoint), 4, 16, QLatin1Char('0'))
                       .toUpper();
        } else if (codePoint == U'&') {
            out += u"&amp;";
        } else if (codePoint == U'<') {
            out += u"&lt;";
        } else if (codePoint == U'>') {
            out += u"&gt;";
        } else if (codePoint == U'"') {
            out += u"&quot;";
        } else if (codePoint == U'\'') {
            out += u"&#39;";
        } else {
            out += QString::fromUcs4(&codePoint, 1);
        }
    }
    return out;
}

// "policy_reason" -> "Policy reason"; the members the gateway writes
// (gateway/mcp/stepupflow.cpp) by the names the companion shows.
QString captionFor(const QString &memberName)
{
    if (memberName == u"arguments")
        return QStringLiteral("Arguments");
    if (memberName == u"upstream")
        return QStringLiteral("Upstream server");
    if (memberName == u"policy_reason")
        return QStringLiteral("Policy");
    QString caption = memberName;
    caption.replace(u'_', u' ').replace(u'-', u' ');
    if (!caption.isEmpty())
        caption[0] = caption.at(0).toUpper();
    return caption;
}

QString fact(const QString &caption, const QString &value, const QString &id = {})
{
    const QString idAttribute = id.isEmpty() ? QString() : QStringLiteral(" id=\"%1\"").arg(id);
    return QStringLiteral("<dt>%1</dt><dd%2>%3</dd>\n")
        .arg(escaped(caption), idAttribute, escaped(value));
}

// Strings as they are, objects and arrays as indented JSON (the tool's
// arguments), other values as JSON.
QString jsonFacts(const QJsonObject &object, bool gatewayCaptions)
{
    QString out;
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        const QString caption = gatewayCaptions ? captionFor(it.key()) : it.key();
        const QJsonValue value = it.value();
        if (value.isString()) {
            out += fact(caption, value.toString());
        } else if (value.isObject() || value.isArray()) {
            const QJsonDocument document =
                value.isObject() ? QJsonDocument(value.toObject()) : QJsonDocument(value.toArray());
            out +=
                QStringLiteral("<dt>%1</dt><dd><pre>%2</pre></dd>\n")
                    .arg(
                        escaped(caption),
                        escaped(
                            QString::fromUtf8(document.toJson(QJsonDocument::Indented)).trimmed()));
        } else {
            const QByteArray json = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
            out += fact(caption, QString::fromUtf8(json.mid(1, json.size() - 2)));
        }
    }
    return out;
}

// The page's word for an approval's state: a pending approval whose time
// is up is expired even before the broker's timer says so.
QString pageState(const ApprovalRecord &approval, qint64 now)
{
    if (approval.state == ApprovalState::Pending)
        return now >= approval.expiresAt ? QStringLiteral("expired") : QStringLiteral("waiting");
    return approvalStateName(approval.state);
}

QString stateLabel(const QString &state)
{
    if (state == u"waiting")
        return QStringLiteral("Waiting for your decision in Countersign on your desktop");
    if (state == u"approved")
        return QStringLiteral("Approved");
    if (state == u"denied")
        return QStringLiteral("Denied");
    if (state == u"cancelled")
        return QStringLiteral("Cancelled: the agent no longer needs it");
    return QStringLiteral("Expired: nobody decided in time");
}

QString utcTime(qint64 seconds)
{
    return QDateTime::fromSecsSinceEpoch(seconds, Qt::UTC).toString(Qt::ISODate);
}

QByteArray readAsset(const QString &name)
{
    QFile file(QStringLiteral(":/countersign/approvalpage/") + name);
    const bool opened = file.open(QIODevice::ReadOnly);
    Q_ASSERT_X(opened, "ApprovalPage", "the page's assets are compiled in");
    return opened ? file.readAll() : QByteArray();
}

// The value of the one `t` parameter of an undecoded query; nothing when
// it is missing or given twice.
std::optional<QByteArray> tokenParameter(const QByteArray &query)
{
    std::optional<QByteArray> token;
    for (const QByteArray &item : query.split('&')) {
        if (!item.startsWith("t="))
            continue;
        if (token)
            return std::nullopt;
        token = item.mid(2);
    }
    return token;
}

} // namespace

Result<QByteArray> ApprovalPage::loadOrCreateKey(const QString &dataDir)
{
    const QString path = QDir(dataDir).filePath(keyFileName);
    if (QFileInfo::exists(path)) {
        auto key = readPrivateFile(path);
        if (!key)
            return key.error();
        if (key->size() != KeySize) {
            return makeError(ErrorCode::StorageFailure,
                             QStringLiteral("%1 has %2 bytes, expected %3. Remove it: the "
                                            "gateway makes a new one (open approval links "
                                            "then stop working).")
                                 .arg(path)
                                 .arg(key->size())
                                 .arg(KeySize));
        }
        return key;
    }
    QByteArray key = randomBytes(KeySize);
    if (auto written = writePrivateFile(path, key); !written)
        return written.error();
    return key;
}

ApprovalPage::ApprovalPage(const ApprovalBroker &broker, QByteArray linkKey, QUrl publicUrl,
                           const Clock &clock)
    : m_broker(broker)
    , m_key(std::move(linkKey))
    , m_publicUrl(std::move(publicUrl))
    , m_clock(clock)
    , m_script(readAsset(QStringLiteral("approval.js")))
    , m_stylesheet(readAsset(QStringLiteral("approval.css")))
{
    Q_ASSERT(m_key.size() == KeySize);
}

QByteArray ApprovalPage::tokenFor(const QString &approvalId, qint64 expiresAt) const
{
    QByteArray expiry(ExpirySize, Qt::Uninitialized);
    qToBigEndian(expiresAt, expiry.data());
    QMessageAuthenticationCode mac(QCryptographicHash::Sha256, m_key);
    mac.addData(TokenLabel.data(), TokenLabel.size());
    mac.addData(approvalId.toUtf8());
    mac.addData("\n", 1);
    mac.addData(expiry);
    return expiry + mac.result();
}

QString ApprovalPage::linkFor(const QString &approvalId) const
{
    if (approvalId.isEmpty() || approvalId.size() > MaxApprovalIdLength)
        return {};
    const auto approval = m_broker.approval(approvalId);
    if (!approval)
        return {};
    QString base = m_publicUrl.toString(QUrl::FullyEncoded | QUrl::RemoveQuery
                                        | QUrl::RemoveFragment | QUrl::RemoveUserInfo);
    while (base.endsWith(u'/'))
        base.chop(1);
    return base + QStringLiteral("/approve/")
        + QString::fromLatin1(QUrl::toPercentEncoding(approvalId)) + QStringLiteral("?t=")
        + QString::fromLatin1(base64UrlEncode(tokenFor(approvalId, approval->expiresAt)));
}

std::optional<ApprovalRecord> ApprovalPage::authorized(const QString &approvalId,
                                                       const HttpRequest &request) const
{
    if (approvalId.isEmpty() || approvalId.size() > MaxApprovalIdLength)
        return std::nullopt;
    const auto token = tokenParameter(request.query);
    if (!token || token->size() != TokenLength)
        return std::nullopt;
    const auto presented = base64UrlDecode(*token);
    if (!presented || presented->size() != ExpirySize + MacSize)
        return std::nullopt;
    const qint64 expiresAt = qFromBigEndian<qint64>(presented->constData());
    const QByteArray expected = tokenFor(approvalId, expiresAt);
    if (CRYPTO_memcmp(expected.constData(), presented->constData(),
                      static_cast<size_t>(expected.size()))
        != 0) {
        return std::nullopt;
    }
    // Only now, with a token this gateway made for this id, is the id looked
    // up: nobody without a link learns whether an approval exists.
    if (m_clock.secondsSinceEpoch() >= expiresAt)
        return std::nullopt;
    auto approval = m_broker.approval(approvalId);
    if (!approval || expiresAt > approval->expiresAt)
        return std::nullopt;
    return approval;
}

HttpResponse ApprovalPage::state(const QString &approvalId, const HttpRequest &request) const
{
    const auto approval = authorized(approvalId, request);
    if (!approval)
        return notFound();
    const QString state = pageState(*approval, m_clock.secondsSinceEpoch());
    return secured(HttpResponse::json(QJsonObject{
        {QStringLiteral("state"), state},
        {QStringLiteral("label"), stateLabel(state)},
        {QStringLiteral("expires_at"), approval->expiresAt},
    }));
}

HttpResponse ApprovalPage::page(const QString &approvalId, const HttpRequest &request) const
{
    const auto approval = authorized(approvalId, request);
    if (!approval)
        return notFound();
    const auto signedRequest = ApprovalBroker::signedRequest(*approval);
    if (!signedRequest)
        return notFound(); // our own stored request no longer parses
    const Sarc &sarc = signedRequest->sarc;
    const QString state = pageState(*approval, m_clock.secondsSinceEpoch());

    QString verified = fact(QStringLiteral("User"), sarc.subject.id, QStringLiteral("subject-user"))
        + fact(QStringLiteral("Agent"), sarc.subject.agent, QStringLiteral("subject-agent"))
        + fact(QStringLiteral("Action"), sarc.action.name, QStringLiteral("action"))
        + jsonFacts(sarc.action.properties, true)
        + fact(QStringLiteral("Resource"),
               QStringLiteral("%1 (%2)").arg(sarc.resource.id, sarc.resource.type),
               QStringLiteral("resource"))
        + jsonFacts(sarc.resource.properties, true)
        + fact(QStringLiteral("Gateway"), signedRequest->gatewayId, QStringLiteral("gateway"));
    if (!sarc.context.verified.isEmpty())
        verified += jsonFacts(sarc.context.verified, true);
    QString unverified;
    if (!sarc.context.agentSupplied.isEmpty()) {
        unverified =
            QStringLiteral("<section class=\"unverified\" id=\"unverified\">\n"
                           "<h2>Unverified &#8212; supplied by the agent</h2>\n"
                           "<p class=\"note\">The agent wrote this and the gateway did not check "
                           "it. Decide on the verified facts above.</p>\n<dl>\n%1</dl>\n"
                           "</section>\n")
                .arg(jsonFacts(sarc.context.agentSupplied, false));
    }

    const QString html =
        QStringLiteral(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"referrer\" content=\"no-referrer\">\n"
            "<title>Countersign: approval request</title>\n"
            "<link rel=\"stylesheet\" href=\"assets/approval.css\">\n"
            "<script src=\"assets/approval.js\" defer></script>\n"
            "</head>\n<body data-poll-ms=\"%1\">\n<main>\n"
            "<h1>Approval request</h1>\n"
            "<p class=\"instruction\" id=\"instruction\"><strong>Approve in Countersign on your "
            "desktop.</strong> This page only shows the request; it cannot approve or deny "
            "it.</p>\n"
            "<section class=\"code\">\n<h2>Binding code</h2>\n"
            "<p class=\"binding-code\" id=\"binding-code\">%2</p>\n"
            "<p class=\"note\">Countersign shows the same code for this request. If it "
            "shows another code, deny that request.</p>\n</section>\n"
            "<section class=\"status\">\n<h2>State</h2>\n"
            "<p class=\"state\" id=\"state\" data-state=\"%3\" role=\"status\" "
            "aria-live=\"polite\">%4</p>\n"
            "<p class=\"note\">Expires at <time id=\"expires\">%5</time> (UTC).</p>\n"
            "</section>\n"
            "<section class=\"verified\" id=\"verified\">\n<h2>Verified by the gateway</h2>\n"
            "<dl>\n%6</dl>\n</section>\n%7"
            "</main>\n</body>\n</html>\n")
            .arg(QString::number(StatePollMilliseconds),
                 escaped(bindingCodeForRequestHash(approval->requestHash)), escaped(state),
                 escaped(stateLabel(state)), escaped(utcTime(approval->expiresAt)), verified,
                 unverified);
    return secured(HttpResponse("text/html; charset=utf-8", html.toUtf8()));
}

void ApprovalPage::addRoutes(HttpRouter &router) const
{
    using Simple = HttpRouter::SimpleHandler;
    router.route(QStringLiteral("/approve/assets/approval.js"), HttpMethod::Get,
                 Simple([this](const HttpRequest &, const QStringList &) {
                     return secured(HttpResponse("text/javascript; charset=utf-8", m_script));
                 }));
    router.route(QStringLiteral("/approve/assets/approval.css"), HttpMethod::Get,
                 Simple([this](const HttpRequest &, const QStringList &) {
                     return secured(HttpResponse("text/css; charset=utf-8", m_stylesheet));
                 }));
    router.route(QStringLiteral("/approve/<arg>"), HttpMethod::Get,
                 Simple([this](const HttpRequest &request, const QStringList &args) {
                     if (args.value(0) == assetsSegment)
                         return notFound();
                     return page(args.value(0), request);
                 }));
    router.route(QStringLiteral("/approve/<arg>/state"), HttpMethod::Get,
                 Simple([this](const HttpRequest &request, const QStringList &args) {
                     return state(args.value(0), request);
                 }));
}

} // namespace countersign::gateway
