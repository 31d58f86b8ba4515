#pragma once

#include "app/authenticator.h"
#include "platform/fidodevicesource.h"
#include "protocol/queuedcalls.h"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include <QTimer>

namespace countersign {

// Authenticator on libfido2 (CTAP2 over USB HID, NFC where libfido2 has it).
//
// Every libfido2 call runs on a worker thread: an operation blocks until the
// user touches the key. The GUI thread only starts, cancels and times out
// operations; fido_dev_cancel() from here makes the key answer the blocked
// call at once. Results and states come back as queued calls, so signals are
// always emitted on this object's thread.
class FidoAuthenticator final : public Authenticator {
    Q_OBJECT

public:
    explicit FidoAuthenticator(std::unique_ptr<FidoDeviceSource> source, QObject *parent = nullptr);
    ~FidoAuthenticator() override;

    // For the whole operation, from the call to its end (waiting for a key,
    // a PIN and the touch included). 60 s by default.
    void setTimeout(std::chrono::milliseconds timeout);

    void refreshDevices() override;
    QList<AuthenticatorDevice> devices() const override;
    void selectDevice(const QString &id) override;
    void registerCredential(const RegistrationOptions &options) override;
    void getAssertion(const AssertionOptions &options) override;
    void setPin(const QString &pin) override;
    void cancel() override;
    bool isBusy() const override;
    State state() const override;

    // How an operation ended, made on the worker thread.
    struct Outcome {
        Outcome() = default;
        Outcome(State ending, QString why)
            : state(ending)
            , message(std::move(why))
        {
        }
        State state = State::Failed;
        QString message;
        std::optional<RegistrationResult> registration;
        std::optional<AssertionResult> assertion;
    };
    // What the key's answer to the blocking call (make credential, get
    // assertion) means for the person: State::Done for FIDO_OK (the answer
    // is read next), else the state the operation ends in and a message
    // that names libfido2's error. Pure; FIDO_ERR_PIN_INVALID is asked again
    // before it gets here.
    static Outcome outcomeForFidoError(int fidoError);

private:
    struct Registration {
        RegistrationOptions options;
        QByteArray clientDataJson;
    };
    struct Assertion {
        AssertionOptions options;
        QByteArray clientDataJson;
    };
    using Request = std::variant<Registration, Assertion>;
    struct FidoCall; // one operation's libfido2 objects (fidoauthenticator.cpp)
    enum class Wait { Ready, Poll, Cancelled, TimedOut };

    void start(Request request);
    void finish(const Outcome &outcome);
    void setState(State state);
    void sendCancel();

    // Worker thread.
    Outcome run(const Request &request);
    std::optional<AuthenticatorDevice> waitForDevice(Outcome &ending);
    // useDevice: prepare, then the PIN and touch loop, then read the answer.
    Outcome useDevice(fido_dev_t *device, const AuthenticatorDevice &info, const Request &request);
    std::optional<Outcome> prepare(fido_dev_t *device, FidoCall &call);
    static int setUpCredential(FidoCall &call);
    static int setUpAssertion(FidoCall &call);
    // Runs the blocking call until it is answered (a wrong PIN asks again);
    // an Outcome when it ends otherwise (cancel, timeout, PIN blocked).
    std::optional<Outcome> callUntilAnswered(fido_dev_t *device, FidoCall &call);
    std::optional<Outcome> waitForPin(fido_dev_t *device, bool pinWasWrong, QByteArray &pin);
    static Outcome readRegistration(const FidoCall &call, const AuthenticatorDevice &info);
    static Outcome readAssertion(const FidoCall &call);
    Wait waitUntil(const std::function<bool()> &ready,
                   std::optional<std::chrono::milliseconds> poll);
    void post(std::function<void()> call);
    std::chrono::milliseconds remaining() const;

    std::unique_ptr<FidoDeviceSource> m_source;
    std::chrono::milliseconds m_timeout{60'000};
    QList<AuthenticatorDevice> m_devices;
    State m_state = State::Idle;
    bool m_busy = false;
    QTimer m_watchdog;
    // A cancel can reach the key just before the request it should stop;
    // it is repeated until the operation ends.
    QTimer m_cancelRepeat;
    // The worker's and lister's way back to this thread (post()).
    QueuedCalls m_calls;
    std::thread m_worker;
    std::thread m_lister;
    std::chrono::steady_clock::time_point m_deadline;

    // Shared with the worker, under m_mutex.
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_cancelled = false;
    bool m_timedOut = false;
    std::optional<QByteArray> m_pin;
    QString m_selected;
    fido_dev_t *m_openDevice = nullptr; // during the blocking call only
};

} // namespace countersign
