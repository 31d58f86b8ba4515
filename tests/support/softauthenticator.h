#pragma once

#include "softctap.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>

#include <QByteArray>
#include <QList>
#include <QString>

#include <fido.h>

namespace countersign::testing {

// A software FIDO2 security key behind the real libfido2: libfido2 builds the
// requests and parses the answers exactly as with a USB key, and this class
// plays the key at the CTAPHID level (64-byte reports through
// fido_dev_set_io_functions) or at the message level
// (fido_dev_set_transport_functions). SoftCtap answers the CTAP2 commands.
//
// Thread-safe: libfido2 may block in read() on one thread while another calls
// fido_dev_cancel() or the test calls touch() or remove().
class SoftAuthenticator {
public:
    enum class Framing { Hid, Transport };
    // What happens when a request needs the user's touch.
    enum class Presence {
        Approve,      // touched at once
        Refuse,       // the user declines: CTAP2_ERR_OPERATION_DENIED
        WaitForTouch, // keep-alives (UP needed) until touch(), cancel or removal
        Unresponsive, // never answers anything, not even CANCEL
    };

    explicit SoftAuthenticator(SoftAuthenticatorConfig config = {}, Framing framing = Framing::Hid);
    ~SoftAuthenticator();
    SoftAuthenticator(const SoftAuthenticator &) = delete;
    SoftAuthenticator &operator=(const SoftAuthenticator &) = delete;

    // "soft:<n>", unique in the process; what fido_dev_open() is given.
    QString path() const { return m_path; }
    QString product() const { return QStringLiteral("Soft Authenticator"); }

    // Prepares `device` (from fido_dev_new) to talk to this authenticator:
    // sets the io (and for Framing::Transport the transport) functions. Then
    // fido_dev_open(device, path()) opens it.
    int attach(fido_dev_t *device) const;
    // fido_dev_new + attach + fido_dev_set_timeout + fido_dev_open; nullptr
    // on failure (`error` receives the libfido2 code). Free with
    // fido_dev_close + fido_dev_free.
    fido_dev_t *openDevice(int *error = nullptr, int timeoutMs = -1) const;

    // Behaviours, switchable at any time.
    void setPresence(Presence presence);
    void setFrozenSignCount(bool frozen);
    void setBackupFlags(bool eligible, bool state);
    // Presses the button while a request waits for presence (WaitForTouch).
    void touch();
    bool isWaitingForTouch() const;
    // Unplugged: every read and write fails, waiting reads wake up, opening
    // fails. plugIn() undoes it.
    void remove();
    void plugIn();

    // What the tests check.
    QList<QByteArray> credentialIds() const;
    QByteArray publicKey(const QByteArray &credentialId) const;
    std::optional<uint32_t> signCount(const QByteArray &credentialId) const;
    void setSignCount(const QByteArray &credentialId, uint32_t count);
    int pinRetries() const;
    QByteArray attestationCertificate() const;
    int cancelCount() const;
    int keepaliveCount() const; // keep-alive reports sent while waiting for touch
    int requestCount() const;   // MakeCredential and GetAssertion received

private:
    struct Message {
        uint32_t cid = 0;
        uint8_t command = 0;
        QByteArray payload;
    };

    static void *ioOpen(const char *path);
    static void ioClose(void *handle);
    static int ioRead(void *handle, unsigned char *buffer, size_t length, int ms);
    static int ioWrite(void *handle, const unsigned char *buffer, size_t length);
    static int transportRx(fido_dev_t *device, uint8_t command, unsigned char *buffer,
                           size_t length, int ms);
    static int transportTx(fido_dev_t *device, uint8_t command, const unsigned char *buffer,
                           size_t length);

    // All below run with m_mutex held.
    void receiveFrame(const unsigned char *frame);
    void handleMessage(const Message &message);
    void reply(uint32_t cid, uint8_t command, const QByteArray &payload);
    void answerPresence(bool approved);
    // Waits for a message to send: true with one in `out`, false on timeout
    // or removal.
    bool nextOutgoing(std::unique_lock<std::mutex> &lock, int ms, Message &out);

    const QString m_path;
    const Framing m_framing;
    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    SoftCtap m_ctap;
    Presence m_presence = Presence::Approve;
    bool m_removed = false;
    bool m_waitingForTouch = false;
    uint32_t m_waitingCid = 0;
    uint32_t m_nextCid = 1;
    int m_cancelCount = 0;
    int m_keepaliveCount = 0;
    int m_requestCount = 0;
    std::deque<Message> m_outgoing;
    // CTAPHID reassembly of the message being received.
    Message m_incoming;
    qsizetype m_incomingLength = 0;
    int m_incomingSequence = 0;
    std::deque<QByteArray> m_outgoingFrames;
};

} // namespace countersign::testing
