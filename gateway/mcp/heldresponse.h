#pragma once

#include "gateway/edge/responder.h"

#include <memory>

namespace countersign::gateway {

// An HTTP answer given later (after an upstream or a person answered),
// copyable so it can ride in callbacks: whichever copy sends first answers,
// later sends do nothing. The client may hang up meanwhile; the edge then
// drops the write.
class HeldResponse {
public:
    explicit HeldResponse(Responder &&responder)
        : m_responder(std::make_shared<Responder>(std::move(responder)))
    {
    }

    // False when the client is known to be gone.
    bool clientStillThere() const { return m_responder->clientStillThere(); }

    void send(HttpResponse &&response) { m_responder->send(std::move(response)); }

private:
    std::shared_ptr<Responder> m_responder;
};

} // namespace countersign::gateway
