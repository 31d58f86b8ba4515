#include "httpmessage.h"

#include <QJsonDocument>

namespace countersign::gateway {

namespace {

std::optional<QByteArray> find(const HttpHeaders &headers, QByteArrayView name)
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return std::nullopt;
}

} // namespace

std::optional<QByteArray> HttpRequest::header(QByteArrayView name) const
{
    return find(headers, name);
}

HttpResponse::HttpResponse(QByteArray contentType, QByteArray content, int statusCode)
    : status(statusCode)
    , body(std::move(content))
{
    headers.append({QByteArrayLiteral("Content-Type"), std::move(contentType)});
}

HttpResponse HttpResponse::json(const QJsonObject &body, int status)
{
    return HttpResponse(QByteArrayLiteral("application/json"),
                        QJsonDocument(body).toJson(QJsonDocument::Compact), status);
}

void HttpResponse::setHeader(QByteArrayView name, QByteArray value)
{
    for (auto &[key, existing] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0) {
            existing = std::move(value);
            return;
        }
    }
    headers.append({name.toByteArray(), std::move(value)});
}

std::optional<QByteArray> HttpResponse::header(QByteArrayView name) const
{
    return find(headers, name);
}

QByteArray httpReasonPhrase(int status)
{
    switch (status) {
    case 100:
        return QByteArrayLiteral("Continue");
    case 101:
        return QByteArrayLiteral("Switching Protocols");
    case 200:
        return QByteArrayLiteral("OK");
    case 201:
        return QByteArrayLiteral("Created");
    case 202:
        return QByteArrayLiteral("Accepted");
    case 204:
        return QByteArrayLiteral("No Content");
    case 302:
        return QByteArrayLiteral("Found");
    case 400:
        return QByteArrayLiteral("Bad Request");
    case 401:
        return QByteArrayLiteral("Unauthorized");
    case 403:
        return QByteArrayLiteral("Forbidden");
    case 404:
        return QByteArrayLiteral("Not Found");
    case 405:
        return QByteArrayLiteral("Method Not Allowed");
    case 408:
        return QByteArrayLiteral("Request Timeout");
    case 409:
        return QByteArrayLiteral("Conflict");
    case 410:
        return QByteArrayLiteral("Gone");
    case 413:
        return QByteArrayLiteral("Content Too Large");
    case 414:
        return QByteArrayLiteral("URI Too Long");
    case 415:
        return QByteArrayLiteral("Unsupported Media Type");
    case 426:
        return QByteArrayLiteral("Upgrade Required");
    case 429:
        return QByteArrayLiteral("Too Many Requests");
    case 431:
        return QByteArrayLiteral("Request Header Fields Too Large");
    case 500:
        return QByteArrayLiteral("Internal Server Error");
    case 501:
        return QByteArrayLiteral("Not Implemented");
    case 502:
        return QByteArrayLiteral("Bad Gateway");
    case 503:
        return QByteArrayLiteral("Service Unavailable");
    case 504:
        return QByteArrayLiteral("Gateway Timeout");
    default:
        return QByteArrayLiteral("Unknown");
    }
}

bool isSafeHeaderValue(QByteArrayView text, qsizetype maxLength)
{
    if (text.size() > maxLength)
        return false;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        // HTAB is allowed inside a field value; every other control is not.
        if ((byte < 0x20 && byte != '\t') || byte == 0x7f)
            return false;
    }
    return true;
}

bool isEchoableToken(QByteArrayView text)
{
    if (text.isEmpty() || text.size() > 128)
        return false;
    for (const char c : text) {
        const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == ':' || c == '+'
            || c == '/' || c == '=';
        if (!allowed)
            return false;
    }
    return true;
}

} // namespace countersign::gateway
