#include "softauthenticator.h"

#include <chrono>
#include <cstring>
#include <map>
#include <string>

namespace countersign::testing {

namespace {

// CTAPHID (CTAP 2.0 section 8.1): 64-byte reports, an init frame
// (cid, 0x80|cmd, length, 57 data bytes) and continuation frames
// (cid, seq, 59 data bytes).
constexpr size_t ReportLength = 64;
constexpr int InitData = 57;
constexpr int ContinuationData = 59;
constexpr uint32_t BroadcastCid = 0xffffffff;
constexpr uint8_t CmdInit = 0x06;
constexpr uint8_t CmdCbor = 0x10;
constexpr uint8_t CmdCancel = 0x11;
constexpr uint8_t CmdKeepalive = 0x3b;
constexpr uint8_t CmdError = 0x3f;
constexpr uint8_t HidErrInvalidCmd = 0x01;
constexpr uint8_t KeepaliveUpNeeded = 0x02;
constexpr auto KeepaliveInterval = std::chrono::milliseconds(100);

// io.open() gets only a path, so the instances are found by path.
std::mutex registryMutex;
std::map<std::string, SoftAuthenticator *> &registry()
{
    static std::map<std::string, SoftAuthenticator *> instances;
    return instances;
}
int nextInstance = 0;

QString registerPath()
{
    std::lock_guard lock(registryMutex);
    return QStringLiteral("soft:%1").arg(nextInstance++);
}

} // namespace

SoftAuthenticator::SoftAuthenticator(SoftAuthenticatorConfig config, Framing framing)
    : m_path(registerPath())
    , m_framing(framing)
    , m_ctap(std::move(config))
{
    std::lock_guard lock(registryMutex);
    registry()[m_path.toStdString()] = this;
}

SoftAuthenticator::~SoftAuthenticator()
{
    {
        std::lock_guard lock(registryMutex);
        registry().erase(m_path.toStdString());
    }
    remove();
}

int SoftAuthenticator::attach(fido_dev_t *device) const
{
    static const fido_dev_io_t io{&SoftAuthenticator::ioOpen, &SoftAuthenticator::ioClose,
                                  &SoftAuthenticator::ioRead, &SoftAuthenticator::ioWrite};
    static const fido_dev_transport_t transport{&SoftAuthenticator::transportRx,
                                                &SoftAuthenticator::transportTx};
    int r = fido_dev_set_io_functions(device, &io);
    if (r == FIDO_OK && m_framing == Framing::Transport)
        r = fido_dev_set_transport_functions(device, &transport);
    return r;
}

fido_dev_t *SoftAuthenticator::openDevice(int *error, int timeoutMs) const
{
    fido_dev_t *device = fido_dev_new();
    int r = device == nullptr ? FIDO_ERR_INTERNAL : attach(device);
    if (r == FIDO_OK)
        r = fido_dev_set_timeout(device, timeoutMs);
    if (r == FIDO_OK)
        r = fido_dev_open(device, m_path.toUtf8().constData());
    if (error != nullptr)
        *error = r;
    if (r != FIDO_OK) {
        fido_dev_free(&device);
        return nullptr;
    }
    return device;
}

void SoftAuthenticator::setPresence(Presence presence)
{
    std::lock_guard lock(m_mutex);
    m_presence = presence;
}

void SoftAuthenticator::setFrozenSignCount(bool frozen)
{
    std::lock_guard lock(m_mutex);
    m_ctap.setFrozenSignCount(frozen);
}

void SoftAuthenticator::setBackupFlags(bool eligible, bool state)
{
    std::lock_guard lock(m_mutex);
    m_ctap.setBackupFlags(eligible, state);
}

void SoftAuthenticator::touch()
{
    std::lock_guard lock(m_mutex);
    if (m_waitingForTouch)
        answerPresence(true);
}

bool SoftAuthenticator::isWaitingForTouch() const
{
    std::lock_guard lock(m_mutex);
    return m_waitingForTouch;
}

void SoftAuthenticator::remove()
{
    std::lock_guard lock(m_mutex);
    m_removed = true;
    m_waitingForTouch = false;
    m_ctap.dropPending();
    m_outgoing.clear();
    m_outgoingFrames.clear();
    m_changed.notify_all();
}

void SoftAuthenticator::plugIn()
{
    std::lock_guard lock(m_mutex);
    m_removed = false;
}

QList<QByteArray> SoftAuthenticator::credentialIds() const
{
    std::lock_guard lock(m_mutex);
    return m_ctap.credentialIds();
}

QByteArray SoftAuthenticator::publicKey(const QByteArray &credentialId) const
{
    std::lock_guard lock(m_mutex);
    return m_ctap.publicKey(credentialId);
}

std::optional<uint32_t> SoftAuthenticator::signCount(const QByteArray &credentialId) const
{
    std::lock_guard lock(m_mutex);
    return m_ctap.signCount(credentialId);
}

void SoftAuthenticator::setSignCount(const QByteArray &credentialId, uint32_t count)
{
    std::lock_guard lock(m_mutex);
    m_ctap.setSignCount(credentialId, count);
}

int SoftAuthenticator::pinRetries() const
{
    std::lock_guard lock(m_mutex);
    return m_ctap.pinRetries();
}

QByteArray SoftAuthenticator::attestationCertificate() const
{
    std::lock_guard lock(m_mutex);
    return m_ctap.attestationCertificate();
}

int SoftAuthenticator::cancelCount() const
{
    std::lock_guard lock(m_mutex);
    return m_cancelCount;
}

int SoftAuthenticator::keepaliveCount() const
{
    std::lock_guard lock(m_mutex);
    return m_keepaliveCount;
}

int SoftAuthenticator::requestCount() const
{
    std::lock_guard lock(m_mutex);
    return m_requestCount;
}

// --- the key's side of the conversation ---------------------------------------

void SoftAuthenticator::handleMessage(const Message &message)
{
    if (m_presence == Presence::Unresponsive)
        return;
    switch (message.command) {
    case CmdInit: {
        // Answer on the channel asked on, with the nonce echoed and a new
        // channel id; CAPABILITY_CBOR makes libfido2 speak CTAP2, NMSG says
        // there is no CTAP1/U2F.
        uint32_t cid = m_nextCid++;
        QByteArray payload = message.payload.left(8);
        payload.append(reinterpret_cast<const char *>(&cid), 4);
        payload.append("\x02\x01\x00\x00", 4); // CTAPHID protocol 2, version 1.0.0
        payload.append(static_cast<char>(0x04 | 0x08));
        reply(message.cid, CmdInit, payload);
        return;
    }
    case CmdCancel:
        ++m_cancelCount;
        if (m_waitingForTouch) {
            m_waitingForTouch = false;
            m_ctap.dropPending();
            reply(m_waitingCid, CmdCbor, QByteArray(1, static_cast<char>(ctap::KeepaliveCancel)));
        }
        return; // CANCEL itself has no answer
    case CmdCbor: {
        const uint8_t command =
            message.payload.isEmpty() ? 0 : static_cast<uint8_t>(message.payload.at(0));
        if (command == 0x01 || command == 0x02)
            ++m_requestCount;
        const SoftCtap::Answer answer = m_ctap.handle(message.payload);
        if (!answer.needsPresence) {
            reply(message.cid, CmdCbor, answer.reply);
            return;
        }
        m_waitingCid = message.cid;
        m_waitingForTouch = true;
        if (m_presence == Presence::Approve)
            answerPresence(true);
        else if (m_presence == Presence::Refuse)
            answerPresence(false);
        return;
    }
    default:
        reply(message.cid, CmdError, QByteArray(1, static_cast<char>(HidErrInvalidCmd)));
    }
}

void SoftAuthenticator::answerPresence(bool approved)
{
    m_waitingForTouch = false;
    reply(m_waitingCid, CmdCbor, m_ctap.finish(approved));
}

void SoftAuthenticator::reply(uint32_t cid, uint8_t command, const QByteArray &payload)
{
    m_outgoing.push_back({cid, command, payload});
    m_changed.notify_all();
}

bool SoftAuthenticator::nextOutgoing(std::unique_lock<std::mutex> &lock, int ms, Message &out)
{
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::milliseconds(ms < 0 ? 0 : ms);
    auto keepaliveAt = start + KeepaliveInterval;
    for (;;) {
        if (m_removed)
            return false;
        if (!m_outgoing.empty()) {
            out = m_outgoing.front();
            m_outgoing.pop_front();
            return true;
        }
        const bool keepalives = m_waitingForTouch && m_framing == Framing::Hid;
        const auto now = Clock::now();
        if (keepalives && now >= keepaliveAt) {
            // What a real key sends every 100 ms while it blinks.
            ++m_keepaliveCount;
            out = {m_waitingCid, CmdKeepalive, QByteArray(1, static_cast<char>(KeepaliveUpNeeded))};
            return true;
        }
        if (ms >= 0 && now >= deadline)
            return false;
        if (ms < 0 && !keepalives)
            m_changed.wait(lock);
        else if (ms < 0)
            m_changed.wait_until(lock, keepaliveAt);
        else
            m_changed.wait_until(lock, keepalives ? std::min(deadline, keepaliveAt) : deadline);
    }
}

void SoftAuthenticator::receiveFrame(const unsigned char *frame)
{
    uint32_t cid = 0;
    std::memcpy(&cid, frame, 4);
    const uint8_t type = frame[4];
    if (type & 0x80) {
        const auto command = static_cast<uint8_t>(type & 0x7f);
        const qsizetype length = (frame[5] << 8) | frame[6];
        // CANCEL arrives while another request waits: it must not disturb
        // the reassembly of anything else.
        if (command == CmdCancel) {
            handleMessage({cid, command, {}});
            return;
        }
        m_incoming = {cid, command,
                      QByteArray(reinterpret_cast<const char *>(frame + 7),
                                 std::min<qsizetype>(length, InitData))};
        m_incomingLength = length;
        m_incomingSequence = 0;
    } else {
        if (cid != m_incoming.cid || type != m_incomingSequence
            || m_incoming.payload.size() >= m_incomingLength)
            return; // stray continuation: a real key would answer ERR_INVALID_SEQ
        ++m_incomingSequence;
        m_incoming.payload.append(
            reinterpret_cast<const char *>(frame + 5),
            std::min<qsizetype>(m_incomingLength - m_incoming.payload.size(), ContinuationData));
    }
    if (m_incoming.payload.size() == m_incomingLength) {
        const Message complete = m_incoming;
        m_incoming = {};
        m_incomingLength = -1;
        handleMessage(complete);
    }
}

// --- libfido2's io and transport hooks ----------------------------------------

void *SoftAuthenticator::ioOpen(const char *path)
{
    std::lock_guard registryLock(registryMutex);
    const auto found = registry().find(path);
    if (found == registry().end())
        return nullptr;
    SoftAuthenticator *self = found->second;
    std::lock_guard lock(self->m_mutex);
    if (self->m_removed)
        return nullptr;
    self->m_outgoing.clear();
    self->m_outgoingFrames.clear();
    self->m_incomingLength = -1;
    return self;
}

void SoftAuthenticator::ioClose(void *) {}

int SoftAuthenticator::ioRead(void *handle, unsigned char *buffer, size_t length, int ms)
{
    auto *self = static_cast<SoftAuthenticator *>(handle);
    std::unique_lock lock(self->m_mutex);
    if (self->m_outgoingFrames.empty()) {
        Message message;
        if (!self->nextOutgoing(lock, ms, message))
            return -1;
        // Split into an init frame and continuation frames.
        const QByteArray &payload = message.payload;
        qsizetype sent = 0;
        int sequence = 0;
        do {
            QByteArray frame(ReportLength, '\0');
            std::memcpy(frame.data(), &message.cid, 4);
            if (sent == 0) {
                frame[4] = static_cast<char>(0x80 | message.command);
                frame[5] = static_cast<char>((payload.size() >> 8) & 0xff);
                frame[6] = static_cast<char>(payload.size() & 0xff);
                const qsizetype n = std::min<qsizetype>(payload.size(), InitData);
                std::memcpy(frame.data() + 7, payload.constData(), static_cast<size_t>(n));
                sent = n;
            } else {
                frame[4] = static_cast<char>(sequence++);
                const qsizetype n = std::min<qsizetype>(payload.size() - sent, ContinuationData);
                std::memcpy(frame.data() + 5, payload.constData() + sent, static_cast<size_t>(n));
                sent += n;
            }
            self->m_outgoingFrames.push_back(frame);
        } while (sent < payload.size());
    }
    if (length < ReportLength)
        return -1;
    const QByteArray frame = self->m_outgoingFrames.front();
    self->m_outgoingFrames.pop_front();
    std::memcpy(buffer, frame.constData(), ReportLength);
    return static_cast<int>(ReportLength);
}

int SoftAuthenticator::ioWrite(void *handle, const unsigned char *buffer, size_t length)
{
    auto *self = static_cast<SoftAuthenticator *>(handle);
    std::lock_guard lock(self->m_mutex);
    // libfido2 writes a report id byte (0) before the 64-byte report.
    if (self->m_removed || length != ReportLength + 1)
        return -1;
    self->receiveFrame(buffer + 1);
    return static_cast<int>(length);
}

int SoftAuthenticator::transportRx(fido_dev_t *device, uint8_t command, unsigned char *buffer,
                                   size_t length, int ms)
{
    auto *self = static_cast<SoftAuthenticator *>(fido_dev_io_handle(device));
    if (self == nullptr)
        return -1;
    std::unique_lock lock(self->m_mutex);
    Message message;
    if (!self->nextOutgoing(lock, ms, message) || message.command != command
        || static_cast<size_t>(message.payload.size()) > length)
        return -1;
    std::memcpy(buffer, message.payload.constData(), static_cast<size_t>(message.payload.size()));
    return static_cast<int>(message.payload.size());
}

int SoftAuthenticator::transportTx(fido_dev_t *device, uint8_t command, const unsigned char *buffer,
                                   size_t length)
{
    auto *self = static_cast<SoftAuthenticator *>(fido_dev_io_handle(device));
    if (self == nullptr)
        return -1;
    std::lock_guard lock(self->m_mutex);
    if (self->m_removed)
        return -1;
    // Whole messages: no channel ids on this level, one conversation per device.
    self->handleMessage(
        {BroadcastCid, command,
         QByteArray(reinterpret_cast<const char *>(buffer), static_cast<qsizetype>(length))});
    return 0;
}

} // namespace countersign::testing
