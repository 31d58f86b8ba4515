#pragma once

#include "jwkset.h"

#include <functional>
#include <vector>

#include <QNetworkAccessManager>
#include <QObject>
#include <QPointer>
#include <QUrl>

class QNetworkReply;

namespace countersign::directory {

// Where the gateway's keys come from: its JWKS URL (fetched on demand with
// a 5 s timeout) or, for tests and air-gapped set-ups, a local file (read on
// demand, so replacing the file rotates the keys).
class JwksSource : public QObject {
    Q_OBJECT

public:
    static constexpr int timeoutMilliseconds = 5000;

    // A file: URL reads the file; http(s) fetches.
    explicit JwksSource(QUrl location, QObject *parent = nullptr);

    QString location() const;
    // Empty until a refresh() has succeeded; a failed refresh keeps the last
    // good keys.
    const JwkSet &keys() const;

    using Done = std::function<void(const Status &)>;
    // Loads the keys again and then calls `done`, possibly before returning
    // (a file) or later (a URL). Calls that arrive while a fetch is in flight
    // share it rather than starting another. On failure the message reads
    // "cannot fetch the gateway's keys from <location>: <why>".
    void refresh(Done done);

private:
    void finishFetch();
    void settle(const Status &status);
    Status adopt(const Result<JwkSet> &keys);

    QUrl m_location;
    JwkSet m_keys;
    QNetworkAccessManager m_network;
    QPointer<QNetworkReply> m_reply;
    std::vector<Done> m_waiting;
};

} // namespace countersign::directory
