#pragma once

#include <memory>
#include <optional>

#include <QHttpServerResponder>
#include <QHttpServerResponse>
#include <QPointer>
#include <QTcpSocket>

namespace countersign::gateway {

// An HTTP answer given later (after an upstream or a person answered). The
// client may hang up meanwhile: in Qt 6.4 the responder then points at a
// deleted socket, so we watch the socket. Qt 6.5 moved responders onto
// internal streams and dropped QHttpServerResponder::socket(); keeping the
// difference in this one class keeps newer Qt building.
class HeldResponse {
public:
    explicit HeldResponse(QHttpServerResponder &&responder)
#if QT_VERSION < QT_VERSION_CHECK(6, 5, 0)
        : m_socket(responder.socket())
        , m_responder(std::make_shared<std::optional<QHttpServerResponder>>(std::move(responder)))
#else
        : m_responder(std::make_shared<std::optional<QHttpServerResponder>>(std::move(responder)))
#endif
    {
    }

    // False when the client is known to be gone.
    bool clientStillThere() const
    {
#if QT_VERSION < QT_VERSION_CHECK(6, 5, 0)
        return !m_socket.isNull();
#else
        return true;
#endif
    }

    // Writes once, whichever copy calls it; later calls and calls after the
    // client left do nothing.
    void send(QHttpServerResponse &&response)
    {
        if (!m_responder->has_value() || !clientStillThere())
            return;
        std::move(response).write(std::move(**m_responder));
        m_responder->reset();
    }

private:
#if QT_VERSION < QT_VERSION_CHECK(6, 5, 0)
    QPointer<QTcpSocket> m_socket;
#endif
    std::shared_ptr<std::optional<QHttpServerResponder>> m_responder;
};

} // namespace countersign::gateway
