#include "durablesink.h"

#include <QJsonObject>

namespace countersign::gateway {

using namespace edge;

namespace {

template <class... Fs>
struct Overloaded : Fs... {
    using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

HttpResponse storageFailure()
{
    HttpResponse response = HttpResponse::json(
        QJsonObject{{QStringLiteral("error"), QStringLiteral("storage_failure")},
                    {QStringLiteral("message"),
                     QStringLiteral("the gateway could not store the outcome durably; it "
                                    "refuses every change until it is restarted (see its log)")}},
        HttpStatus::serviceUnavailable);
    response.setHeader("Cache-Control", "no-store");
    return response;
}

} // namespace

DurabilityGate::DurabilityGate(Durability &durability, QObject *context)
    : m_durability(durability)
    , m_context(context)
{
}

std::shared_ptr<ResponseSink> DurabilityGate::wrap(std::shared_ptr<ResponseSink> sink) const
{
    return std::make_shared<DurableResponseSink>(std::move(sink), m_durability, m_context,
                                                 m_heldWrites);
}

std::shared_ptr<CompanionConnection>
DurabilityGate::wrap(std::shared_ptr<CompanionConnection> connection) const
{
    return std::make_shared<DurableCompanionConnection>(std::move(connection), m_durability,
                                                        m_context, m_heldWrites);
}

namespace edge {

DurableResponseSink::DurableResponseSink(std::shared_ptr<ResponseSink> inner,
                                         Durability &durability, QObject *context,
                                         std::shared_ptr<std::size_t> heldWrites)
    : DurabilityHold(durability, context, std::move(heldWrites))
    , m_inner(std::move(inner))
{
}

void DurableResponseSink::send(HttpResponse response)
{
    submit(std::move(response));
}

void DurableResponseSink::beginStream(int status, HttpHeaders headers)
{
    submit(BeginStream{status, std::move(headers)});
}

void DurableResponseSink::writeChunk(QByteArray data)
{
    submit(Chunk{std::move(data)});
}

void DurableResponseSink::endStream()
{
    submit(EndStream{});
}

void DurableResponseSink::abandon()
{
    submit(Abandon{});
}

void DurableResponseSink::cut()
{
    // Ends the connection: nothing held for it matters any more.
    m_inner->cut();
}

bool DurableResponseSink::clientStillThere() const
{
    return m_inner->clientStillThere();
}

void DurableResponseSink::forward(HttpWrite write)
{
    std::visit(Overloaded{
                   [this](HttpResponse &response) { m_inner->send(std::move(response)); },
                   [this](BeginStream &begin) {
                       m_streamBegun = true;
                       m_inner->beginStream(begin.status, std::move(begin.headers));
                   },
                   [this](Chunk &chunk) { m_inner->writeChunk(std::move(chunk.data)); },
                   [this](EndStream &) { m_inner->endStream(); },
                   [this](Abandon &) { m_inner->abandon(); },
               },
               write);
}

void DurableResponseSink::fail(std::deque<HttpWrite>)
{
    // Whatever was held may describe a write that is not on disk: none of
    // it goes out. A stream the client has begun to read is cut (ending it
    // normally would claim it is complete); otherwise the answer is 503.
    if (m_streamBegun)
        m_inner->cut();
    else
        m_inner->send(storageFailure());
}

DurableCompanionConnection::DurableCompanionConnection(std::shared_ptr<CompanionConnection> inner,
                                                       Durability &durability, QObject *context,
                                                       std::shared_ptr<std::size_t> heldWrites)
    : DurabilityHold(durability, context, std::move(heldWrites))
    , m_inner(std::move(inner))
{
}

void DurableCompanionConnection::start(QObject *receiver, Events events)
{
    m_inner->start(receiver, std::move(events));
}

void DurableCompanionConnection::sendText(const QString &text)
{
    submit(TextMessage{text});
}

void DurableCompanionConnection::ping()
{
    m_inner->ping();
}

void DurableCompanionConnection::close(int code, const QString &reason)
{
    submit(CloseRequest{code, reason});
}

QHostAddress DurableCompanionConnection::peerAddress() const
{
    return m_inner->peerAddress();
}

void DurableCompanionConnection::markTrusted()
{
    m_inner->markTrusted();
}

void DurableCompanionConnection::forward(CompanionWrite write)
{
    std::visit(Overloaded{
                   [this](TextMessage &message) { m_inner->sendText(message.text); },
                   [this](CloseRequest &close) { m_inner->close(close.code, close.reason); },
               },
               write);
}

void DurableCompanionConnection::fail(std::deque<CompanionWrite>)
{
    // The held messages may tell of outcomes that are not on disk: dropped.
    // The companion reconnects and learns the state that is.
    m_inner->close(storageFailureCloseCode, QStringLiteral("storage unavailable"));
}

} // namespace edge

} // namespace countersign::gateway
