#pragma once

#include "gateway/approvals/approvaltypes.h"
#include "gateway/edge/httprouter.h"
#include "protocol/clock.h"
#include "protocol/result.h"

#include <optional>

#include <QByteArray>
#include <QLatin1StringView>
#include <QString>
#include <QUrl>

namespace countersign::gateway {

class ApprovalBroker;

// The approval page of URL-mode elicitation (MCP 2026-07-28): a page on
// the gateway that shows a person what an agent asks them to approve (the
// SARC, which parts the gateway verified and which the agent wrote, the
// binding code) and the approval's live state. It cannot approve anything:
// approval stays in the companion, which holds the person's keys.
//
//   GET /approve/{id}?t=TOKEN          the page (HTML)
//   GET /approve/{id}/state?t=TOKEN    its state as JSON, which the page's
//                                      own script polls
//   GET /approve/assets/approval.js    that script, and its stylesheet
//   GET /approve/assets/approval.css   (same-origin files: the CSP allows no
//                                      inline script or style)
//
// TOKEN binds the link to one approval until the approval expires:
// base64url(expiry, 8 bytes big-endian | HMAC-SHA256(key, label | id |
// expiry)), checked in constant time. The key (32 random bytes) lives in
// <data dir>/approval-link-key, mode 0600, like the gateway's other keys.
// A wrong, forged or expired token and an unknown id all get the same 404:
// the page is no oracle for which approvals exist.
//
// Runs on the Qt thread (it reads the broker).
class ApprovalPage {
public:
    static constexpr QLatin1StringView keyFileName{"approval-link-key"};
    static constexpr qsizetype KeySize = 32;
    static constexpr qsizetype MaxApprovalIdLength = 128;
    static constexpr int StatePollMilliseconds = 1500;

    // Reads <dataDir>/approval-link-key, or creates it (mode 0600). Refuses
    // a file group or others may read, or of the wrong size.
    static Result<QByteArray> loadOrCreateKey(const QString &dataDir);

    // `publicUrl` is the gateway's public URL (the links point there);
    // `broker` and `clock` must outlive the page.
    ApprovalPage(const ApprovalBroker &broker, QByteArray linkKey, QUrl publicUrl,
                 const Clock &clock);

    // The absolute link to the page of `approvalId`
    // (<public URL>/approve/{id}?t=...), valid until the approval expires;
    // empty when there is no such approval.
    QString linkFor(const QString &approvalId) const;

    void addRoutes(HttpRouter &router) const;

    // The routes' answers (public for tests and the edge's fuzzer).
    HttpResponse page(const QString &approvalId, const HttpRequest &request) const;
    HttpResponse state(const QString &approvalId, const HttpRequest &request) const;

private:
    QByteArray tokenFor(const QString &approvalId, qint64 expiresAt) const;
    // The approval the request's token opens, or nothing (then: 404).
    std::optional<ApprovalRecord> authorized(const QString &approvalId,
                                             const HttpRequest &request) const;

    const ApprovalBroker &m_broker;
    QByteArray m_key;
    QUrl m_publicUrl;
    const Clock &m_clock;
    QByteArray m_script;
    QByteArray m_stylesheet;
};

} // namespace countersign::gateway
