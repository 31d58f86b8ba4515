#include "responder.h"

namespace countersign::gateway {

Responder::Responder(std::shared_ptr<ResponseSink> sink)
    : m_sink(std::move(sink))
{
}

Responder::~Responder()
{
    finishOnDestruction();
}

Responder::Responder(Responder &&other) noexcept
    : m_sink(std::move(other.m_sink))
    , m_state(other.m_state)
{
    other.m_state = State::Done;
}

Responder &Responder::operator=(Responder &&other) noexcept
{
    if (this != &other) {
        finishOnDestruction();
        m_sink = std::move(other.m_sink);
        m_state = other.m_state;
        other.m_state = State::Done;
    }
    return *this;
}

void Responder::finishOnDestruction()
{
    if (!m_sink)
        return;
    if (m_state == State::Fresh)
        m_sink->abandon();
    else if (m_state == State::Streaming)
        m_sink->endStream();
    m_state = State::Done;
    m_sink.reset();
}

void Responder::send(HttpResponse response)
{
    if (m_state != State::Fresh || !m_sink)
        return;
    m_state = State::Done;
    m_sink->send(std::move(response));
}

void Responder::beginStream(int status, HttpHeaders headers)
{
    if (m_state != State::Fresh || !m_sink)
        return;
    m_state = State::Streaming;
    m_sink->beginStream(status, std::move(headers));
}

void Responder::writeChunk(QByteArray data)
{
    if (m_state != State::Streaming || data.isEmpty())
        return;
    m_sink->writeChunk(std::move(data));
}

void Responder::endStream()
{
    if (m_state != State::Streaming)
        return;
    m_state = State::Done;
    m_sink->endStream();
}

bool Responder::clientStillThere() const
{
    return m_sink && m_sink->clientStillThere();
}

} // namespace countersign::gateway
