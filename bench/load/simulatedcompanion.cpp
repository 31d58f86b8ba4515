#include "simulatedcompanion.h"

#include "protocol/messages/approvalproof.h"

#include <QJsonDocument>
#include <QTimer>

namespace countersign::load {

namespace {

// Proofs for one request before the companion gives up on it: the gateway
// locks a request after five wrong codes, and a spent or just-expired step is
// the only reason a code of ours can be refused.
constexpr int maxTriesPerRequest = 3;

} // namespace

SimulatedCompanion::SimulatedCompanion(int index, EcPrivateKey deviceKey, Totp totp,
                                       const Clock &clock, CompanionTally &tally, QObject *parent)
    : QObject(parent)
    , m_index(index)
    , m_deviceKey(std::move(deviceKey))
    , m_totp(std::move(totp))
    , m_clock(clock)
    , m_tally(tally)
{
    connect(&m_socket, &QWebSocket::textMessageReceived, this, &SimulatedCompanion::onMessage);
    connect(&m_socket, &QWebSocket::disconnected, this, &SimulatedCompanion::onDisconnected);
}

void SimulatedCompanion::setPairing(const QString &deviceId, const GatewayPin &pin)
{
    m_deviceId = deviceId;
    m_pin = pin;
}

void SimulatedCompanion::open()
{
    if (!m_pin) {
        Q_EMIT failed(this, QStringLiteral("not paired"));
        return;
    }
    m_handshake.start();
    m_socket.open(m_pin->channelUrl);
}

void SimulatedCompanion::close()
{
    m_closing = true;
    m_socket.close();
}

void SimulatedCompanion::onDisconnected()
{
    if (m_closing)
        return;
    const QString why = QStringLiteral("channel closed: %1 %2 (%3)")
                            .arg(static_cast<int>(m_socket.closeCode()))
                            .arg(m_socket.closeReason(), m_socket.errorString());
    if (!m_welcomed) {
        Q_EMIT failed(this, why);
        return;
    }
    m_welcomed = false;
    ++m_tally.unexpectedCloses;
    qWarning().noquote() << "companion" << m_index << why;
}

void SimulatedCompanion::onMessage(const QString &text)
{
    const auto message =
        channel::parseChannelMessage(QJsonDocument::fromJson(text.toUtf8()).object());
    if (!message) {
        qWarning().noquote() << "companion" << m_index
                             << "ignored a message:" << message.error().message;
        return;
    }
    if (const auto *hello = std::get_if<channel::Hello>(&message.value())) {
        answerHello(*hello);
    } else if (const auto *welcome = std::get_if<channel::Welcome>(&message.value())) {
        m_welcomed = true;
        Q_EMIT welcomed(this, m_handshake.nsecsElapsed());
        // A request made while we were connecting is delivered here instead.
        for (const QString &request : welcome->pending)
            approve(request);
    } else if (const auto *requested = std::get_if<channel::ApprovalRequested>(&message.value())) {
        approve(requested->request);
    } else if (const auto *accepted = std::get_if<channel::ApprovalAccepted>(&message.value())) {
        ++m_tally.accepted;
        forget(accepted->requestId);
        Q_EMIT proofAccepted(accepted->requestId, accepted->outcome == QStringLiteral("approved"));
    } else if (const auto *resolved = std::get_if<channel::ApprovalResolved>(&message.value())) {
        ++m_tally.resolved;
        forget(resolved->requestId);
    } else if (const auto *error = std::get_if<channel::ErrorReply>(&message.value())) {
        onError(*error);
    }
}

void SimulatedCompanion::forget(const QString &requestId)
{
    m_answering.remove(requestId);
    m_stepOf.remove(requestId);
    m_triesOf.remove(requestId);
}

void SimulatedCompanion::answerHello(const channel::Hello &hello)
{
    if (hello.gatewayId != m_pin->gatewayId) {
        Q_EMIT failed(this, QStringLiteral("hello from another gateway: %1").arg(hello.gatewayId));
        close();
        return;
    }
    const auto proof =
        channel::AuthClaims{hello.nonce, hello.gatewayId, m_clock.secondsSinceEpoch()}.sign(
            m_deviceKey);
    if (!proof) {
        Q_EMIT failed(this, proof.error().message);
        close();
        return;
    }
    m_socket.sendTextMessage(
        channel::toText(channel::Auth{m_deviceId, QString::fromLatin1(proof.value())}));
}

void SimulatedCompanion::approve(const QString &requestJws)
{
    // A real companion checks the request before showing it; so does this one,
    // so its cost is part of what the gateway waits for.
    auto request =
        verifyApprovalRequest(requestJws.toLatin1(), m_pin->gatewayKey, m_pin->gatewayId, m_clock);
    if (!request) {
        ++m_tally.badRequests;
        qWarning().noquote() << "companion" << m_index
                             << "refused a request:" << request.error().message;
        return;
    }
    const QString requestId = request->request.requestId;
    m_answering.insert(requestId, std::move(request).value());
    sendApproval(requestId);
}

std::optional<qint64> SimulatedCompanion::freeStep() const
{
    const auto current = m_totp.stepAt(m_clock.secondsSinceEpoch());
    if (!current)
        return std::nullopt;
    // The current step first: it stays valid longest on the gateway's side.
    for (const qint64 step : {current.value(), current.value() + 1, current.value() - 1}) {
        if (!m_spentSteps.contains(step))
            return step;
    }
    return std::nullopt;
}

void SimulatedCompanion::sendApproval(const QString &requestId)
{
    const auto found = m_answering.constFind(requestId);
    if (found == m_answering.constEnd() || !m_welcomed)
        return;
    const auto step = freeStep();
    if (!step) {
        // Every code within the gateway's window is spent: wait for the next
        // period (a user approving more than three requests in 30 s).
        const qint64 waitMs = m_totp.secondsRemaining(m_clock) * 1000 + 50;
        QTimer::singleShot(std::chrono::milliseconds(waitMs), this,
                           [this, requestId] { sendApproval(requestId); });
        return;
    }
    const auto code = m_totp.codeAt(*step * m_totp.period() + m_totp.t0());
    if (!code) {
        qWarning().noquote() << "companion" << m_index << "no TOTP code:" << code.error().message;
        return;
    }
    m_spentSteps.insert(*step);
    // Forget steps that are out of every window, so the set stays small.
    m_spentSteps.removeIf([&](qint64 spent) { return spent < *step - 2; });
    m_stepOf.insert(requestId, *step);
    ++m_triesOf[requestId];

    ApprovalProof proof;
    proof.requestId = requestId;
    proof.requestHash = found->requestHash;
    proof.decision = Decision::Approve;
    proof.method = ApprovalMethod::Totp;
    proof.evidence = QJsonObject{{QStringLiteral("code"), code.value()}};
    proof.issuedAt = m_clock.secondsSinceEpoch();
    const auto jws = proof.sign(m_deviceKey);
    if (!jws) {
        qWarning().noquote() << "companion" << m_index << "cannot sign:" << jws.error().message;
        return;
    }
    ++m_tally.proofsSent;
    m_socket.sendTextMessage(
        channel::toText(channel::ApprovalRespond{QString::fromLatin1(jws.value())}));
}

void SimulatedCompanion::onError(const channel::ErrorReply &error)
{
    ++m_tally.errors[channelErrorCodeName(error.code)];
    const QString &requestId = error.requestId;
    if (error.code != ChannelErrorCode::InvalidCode || !m_answering.contains(requestId))
        return;
    // The step we used was spent already or fell out of the window as the
    // period turned: try another one, a bounded number of times.
    if (m_triesOf.value(requestId) >= maxTriesPerRequest) {
        m_answering.remove(requestId);
        return;
    }
    ++m_tally.retriedCodes;
    sendApproval(requestId);
}

} // namespace countersign::load
