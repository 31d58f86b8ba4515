#pragma once

#include <optional>
#include <utility>

#include <QByteArray>
#include <QHostAddress>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace countersign::gateway {

// The request and response the routes see, whatever server parsed them: the
// edge (Boost.Beast, on its I/O threads) builds these after every limit was
// checked, and hands them to the Qt thread. Nothing here knows about sockets.

enum class HttpMethod { Get, Head, Post, Put, Delete, Options, Patch, Other };

// Status codes the gateway uses; any other number may be given as int.
namespace HttpStatus {
constexpr int ok = 200;
constexpr int created = 201;
constexpr int accepted = 202;
constexpr int badRequest = 400;
constexpr int unauthorized = 401;
constexpr int forbidden = 403;
constexpr int notFound = 404;
constexpr int methodNotAllowed = 405;
constexpr int conflict = 409;
constexpr int payloadTooLarge = 413;
constexpr int uriTooLong = 414;
constexpr int tooManyRequests = 429;
constexpr int headersTooLarge = 431;
constexpr int internalServerError = 500;
constexpr int serviceUnavailable = 503;
} // namespace HttpStatus

using HttpHeaders = QList<std::pair<QByteArray, QByteArray>>;

struct HttpRequest {
    HttpMethod method = HttpMethod::Other;
    QByteArray target; // as sent: path and query
    QString path;      // percent-decoded path, no query
    QByteArray query;  // after '?', undecoded
    HttpHeaders headers;
    QByteArray body;
    QHostAddress peerAddress;
    quint16 peerPort = 0;

    // Header names are case-insensitive; the first of repeated fields.
    std::optional<QByteArray> header(QByteArrayView name) const;
    QByteArray value(QByteArrayView name) const { return header(name).value_or(QByteArray()); }
};

struct HttpResponse {
    int status = HttpStatus::ok;
    HttpHeaders headers; // Content-Type and others; framing headers are the edge's
    QByteArray body;

    HttpResponse() = default;
    explicit HttpResponse(int statusCode)
        : status(statusCode)
    {
    }
    HttpResponse(QByteArray contentType, QByteArray content, int statusCode = HttpStatus::ok);
    // Compact JSON, application/json.
    static HttpResponse json(const QJsonObject &body, int status = HttpStatus::ok);

    // Replaces a header of the same name (case-insensitively).
    void setHeader(QByteArrayView name, QByteArray value);
    std::optional<QByteArray> header(QByteArrayView name) const;
};

// The reason phrase of a status line ("Not Found"); "Unknown" for others.
QByteArray httpReasonPhrase(int status);

// Whether text may be put into a response header as is: no CR, LF, NUL or
// other control character, at most maxLength bytes. Values that fail are
// dropped by the edge, never sent.
bool isSafeHeaderValue(QByteArrayView text, qsizetype maxLength = 8192);

// A short printable token (X-Request-ID and the like): 1 to 128 characters
// of letters, digits and "-._:+/=". Only such a value is echoed back.
bool isEchoableToken(QByteArrayView text);

} // namespace countersign::gateway
