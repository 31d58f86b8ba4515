#include "fidoauthenticator.h"

#include "app/webauthnclientdata.h"

#include <algorithm>
#include <cbor.h>
#include <utility>

#include <fido.h>

namespace countersign {

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint8_t uvFlag = 0x04;
// How often an operation waiting for a key looks for one.
constexpr std::chrono::milliseconds devicePollInterval{250};
constexpr std::chrono::milliseconds cancelRepeatInterval{200};
// libfido2's own read timeout is a backstop behind our watchdog, for keys
// that ignore CTAPHID_CANCEL.
constexpr std::chrono::milliseconds libraryTimeoutSlack{1000};

struct DeviceCloser {
    void operator()(fido_dev_t *device) const
    {
        fido_dev_close(device);
        fido_dev_free(&device);
    }
};
struct CredFree {
    void operator()(fido_cred_t *cred) const { fido_cred_free(&cred); }
};
struct AssertFree {
    void operator()(fido_assert_t *assertion) const { fido_assert_free(&assertion); }
};
struct InfoFree {
    void operator()(fido_cbor_info_t *info) const { fido_cbor_info_free(&info); }
};

QByteArray bytes(const unsigned char *ptr, size_t length)
{
    if (ptr == nullptr)
        return {};
    return QByteArray(reinterpret_cast<const char *>(ptr), static_cast<qsizetype>(length));
}

const unsigned char *data(const QByteArray &bytes)
{
    return reinterpret_cast<const unsigned char *>(bytes.constData());
}

QString fidoText(int r)
{
    return QString::fromUtf8(fido_strerr(r));
}

// libfido2 1.12 hands out an assertion's authenticator data as the CBOR byte
// string it came in (fido_assert_authdata_raw_ptr arrived in 1.14); the
// signature and WebAuthn verifiers want the bytes inside.
QByteArray unwrapByteString(const QByteArray &cbor)
{
    cbor_load_result loaded{};
    cbor_item_t *item = cbor_load(data(cbor), static_cast<size_t>(cbor.size()), &loaded);
    QByteArray raw;
    if (item != nullptr && loaded.read == static_cast<size_t>(cbor.size())
        && cbor_isa_bytestring(item) && cbor_bytestring_is_definite(item))
        raw = bytes(cbor_bytestring_handle(item), cbor_bytestring_length(item));
    if (item != nullptr)
        cbor_decref(&item);
    return raw;
}

bool supportsEs256(fido_dev_t *device)
{
    std::unique_ptr<fido_cbor_info_t, InfoFree> info(fido_cbor_info_new());
    if (!info || fido_dev_get_cbor_info(device, info.get()) != FIDO_OK)
        return true; // unknown: let makeCredential answer
    const size_t count = fido_cbor_info_algorithm_count(info.get());
    if (count == 0)
        return true; // CTAP 2.0 keys do not list algorithms; ES256 is mandatory for them
    for (size_t i = 0; i < count; ++i) {
        if (fido_cbor_info_algorithm_cose(info.get(), i) == COSE_ES256)
            return true;
    }
    return false;
}

} // namespace

FidoAuthenticator::FidoAuthenticator(std::unique_ptr<FidoDeviceSource> source, QObject *parent)
    : Authenticator(parent)
    , m_source(std::move(source))
{
    fido_init(0);
    m_watchdog.setSingleShot(true);
    connect(&m_watchdog, &QTimer::timeout, this, [this] {
        {
            std::lock_guard lock(m_mutex);
            m_timedOut = true;
        }
        m_wake.notify_all();
        sendCancel();
        m_cancelRepeat.start(cancelRepeatInterval);
    });
    connect(&m_cancelRepeat, &QTimer::timeout, this, &FidoAuthenticator::sendCancel);
}

FidoAuthenticator::~FidoAuthenticator()
{
    {
        std::lock_guard lock(m_mutex);
        m_cancelled = true;
    }
    m_wake.notify_all();
    sendCancel();
    if (m_worker.joinable())
        m_worker.join();
    if (m_lister.joinable())
        m_lister.join();
}

void FidoAuthenticator::setTimeout(std::chrono::milliseconds timeout)
{
    m_timeout = timeout;
}

QList<AuthenticatorDevice> FidoAuthenticator::devices() const
{
    return m_devices;
}

Authenticator::State FidoAuthenticator::state() const
{
    return m_state;
}

bool FidoAuthenticator::isBusy() const
{
    return m_busy;
}

void FidoAuthenticator::setState(State state)
{
    if (state == m_state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

void FidoAuthenticator::refreshDevices()
{
    if (m_lister.joinable())
        return; // a listing is under way; it answers for this call too
    // Enumerating HID devices does I/O: not on the GUI thread either.
    m_lister = std::thread([this] {
        const QList<AuthenticatorDevice> found = m_source->devices();
        post([this, found] {
            m_lister.join();
            m_devices = found;
            Q_EMIT devicesChanged(found);
            if (!m_busy)
                setState(found.isEmpty() ? State::NoKey : State::Idle);
        });
    });
}

void FidoAuthenticator::selectDevice(const QString &id)
{
    {
        std::lock_guard lock(m_mutex);
        m_selected = id;
    }
    m_wake.notify_all();
}

void FidoAuthenticator::setPin(const QString &pin)
{
    {
        std::lock_guard lock(m_mutex);
        m_pin = pin.toUtf8();
    }
    m_wake.notify_all();
}

void FidoAuthenticator::cancel()
{
    if (!m_busy)
        return;
    {
        std::lock_guard lock(m_mutex);
        m_cancelled = true;
    }
    m_wake.notify_all();
    sendCancel();
    m_cancelRepeat.start(cancelRepeatInterval);
}

void FidoAuthenticator::sendCancel()
{
    std::lock_guard lock(m_mutex);
    if (m_openDevice != nullptr)
        fido_dev_cancel(m_openDevice);
}

void FidoAuthenticator::registerCredential(const RegistrationOptions &options)
{
    start(Registration{options, webAuthnRegistrationClientData(options.challenge, options.origin)});
}

void FidoAuthenticator::getAssertion(const AssertionOptions &options)
{
    start(Assertion{options, webAuthnAssertionClientData(options.requestHash, options.origin)});
}

void FidoAuthenticator::start(Request request)
{
    if (m_busy) {
        // Not an error of the running operation: reported on its own.
        post([this] {
            Q_EMIT failed(State::Failed, tr("Another security key operation is still running."));
        });
        return;
    }
    // As a browser would: the RP id must be the origin's host or a parent
    // of it, or a gateway could have the key sign for another site.
    const auto [rpId, origin] = std::visit(
        [](const auto &operation) {
            return std::pair{operation.options.rpId, operation.options.origin};
        },
        request);
    if (!rpIdFitsOrigin(rpId, origin)) {
        post([this, rpId, origin] {
            Q_EMIT failed(State::Failed,
                          tr("The gateway %1 asked for a security key of the site \"%2\", which "
                             "is not its own; Countersign refused.")
                              .arg(origin, rpId));
        });
        return;
    }
    if (m_worker.joinable())
        m_worker.join();
    {
        std::lock_guard lock(m_mutex);
        m_cancelled = false;
        m_timedOut = false;
        m_pin.reset();
    }
    m_busy = true;
    m_deadline = Clock::now() + m_timeout;
    m_watchdog.start(m_timeout);
    m_worker = std::thread([this, request = std::move(request)] {
        const Outcome outcome = run(request);
        post([this, outcome] { finish(outcome); });
    });
}

void FidoAuthenticator::finish(const Outcome &outcome)
{
    if (m_worker.joinable())
        m_worker.join();
    m_watchdog.stop();
    m_cancelRepeat.stop();
    m_busy = false;
    setState(outcome.state);
    if (outcome.registration)
        Q_EMIT registered(*outcome.registration);
    else if (outcome.assertion)
        Q_EMIT asserted(*outcome.assertion);
    else
        Q_EMIT failed(outcome.state, outcome.message);
}

// --- worker thread --------------------------------------------------------------

void FidoAuthenticator::post(std::function<void()> call)
{
    m_calls.post(std::move(call));
}

std::chrono::milliseconds FidoAuthenticator::remaining() const
{
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(m_deadline - Clock::now());
    return std::max(left, std::chrono::milliseconds(0));
}

FidoAuthenticator::Wait FidoAuthenticator::waitUntil(const std::function<bool()> &ready,
                                                     std::optional<std::chrono::milliseconds> poll)
{
    std::unique_lock lock(m_mutex);
    const auto stop = [&] { return m_cancelled || m_timedOut || ready(); };
    if (poll)
        m_wake.wait_for(lock, *poll, stop);
    else
        m_wake.wait(lock, stop);
    if (m_cancelled)
        return Wait::Cancelled;
    if (m_timedOut)
        return Wait::TimedOut;
    return ready() ? Wait::Ready : Wait::Poll;
}

FidoAuthenticator::Outcome FidoAuthenticator::run(const Request &request)
{
    Outcome ending;
    const std::optional<AuthenticatorDevice> chosen = waitForDevice(ending);
    if (!chosen)
        return ending;
    int error = FIDO_OK;
    std::unique_ptr<fido_dev_t, DeviceCloser> device(
        m_source->open(chosen->id, remaining() + libraryTimeoutSlack, &error));
    if (!device) {
        // A key that does not even answer CTAPHID_INIT runs into libfido2's
        // own timeout, after our watchdog fired.
        std::lock_guard lock(m_mutex);
        if (m_cancelled)
            return {State::Cancelled, tr("Cancelled.")};
        if (m_timedOut)
            return {State::Timeout,
                    tr("The security key did not answer in time (%1).").arg(fidoText(error))};
        return {State::KeyRemoved,
                tr("Could not open the security key (%1).").arg(fidoText(error))};
    }
    return useDevice(device.get(), *chosen, request);
}

std::optional<AuthenticatorDevice> FidoAuthenticator::waitForDevice(Outcome &ending)
{
    State announced = State::Idle;
    for (;;) {
        const QList<AuthenticatorDevice> found = m_source->devices();
        post([this, found] {
            if (found != m_devices) {
                m_devices = found;
                Q_EMIT devicesChanged(found);
            }
        });
        QString selected;
        {
            std::lock_guard lock(m_mutex);
            selected = m_selected;
        }
        for (const AuthenticatorDevice &device : found) {
            if (device.id == selected || found.size() == 1)
                return device;
        }
        // None yet, or several and the user has not said which.
        const State waiting = found.isEmpty() ? State::InsertKey : State::ChooseKey;
        if (waiting != announced) {
            announced = waiting;
            post([this, waiting] { setState(waiting); });
        }
        const Wait wait = waitUntil([&] { return m_selected != selected; }, devicePollInterval);
        if (wait == Wait::Cancelled) {
            ending = {State::Cancelled, tr("Cancelled.")};
            return std::nullopt;
        }
        if (wait == Wait::TimedOut) {
            ending = {State::Timeout,
                      found.isEmpty() ? tr("No security key was inserted in time.")
                                      : tr("No security key was chosen in time.")};
            return std::nullopt;
        }
    }
}

// The libfido2 objects of one operation and what it asks of the key.
struct FidoAuthenticator::FidoCall {
    explicit FidoCall(const Request &r)
        : request(r)
        , registration(std::holds_alternative<Registration>(r))
        , wanted(std::visit([](const auto &each) { return each.options.userVerification; }, r))
    {
    }
    const Request &request;
    const bool registration;
    const UserVerification wanted;
    bool usePin = false;           // the key verifies the user by its PIN
    fido_opt_t uv = FIDO_OPT_OMIT; // ask for built-in user verification
    std::unique_ptr<fido_cred_t, CredFree> cred;
    std::unique_ptr<fido_assert_t, AssertFree> assertion;
    int result = FIDO_OK; // of the blocking call
};

FidoAuthenticator::Outcome FidoAuthenticator::useDevice(fido_dev_t *device,
                                                        const AuthenticatorDevice &info,
                                                        const Request &request)
{
    FidoCall call(request);
    if (std::optional<Outcome> refused = prepare(device, call))
        return std::move(*refused);
    if (std::optional<Outcome> interrupted = callUntilAnswered(device, call))
        return std::move(*interrupted);
    Outcome ending = outcomeForFidoError(call.result);
    if (ending.state != State::Done)
        return ending;
    return call.registration ? readRegistration(call, info) : readAssertion(call);
}

std::optional<FidoAuthenticator::Outcome> FidoAuthenticator::prepare(fido_dev_t *device,
                                                                     FidoCall &call)
{
    if (call.registration && !supportsEs256(device))
        return Outcome{State::UnsupportedAlgorithm,
                       tr("This security key cannot make ES256 (P-256) credentials.")};

    // User verification when the key can: built-in (fingerprint) first,
    // else its PIN. A key with neither only proves presence.
    const bool builtInUv = fido_dev_has_uv(device);
    call.usePin = !builtInUv && fido_dev_has_pin(device);
    if (call.wanted == UserVerification::Required && !builtInUv && !call.usePin)
        return Outcome{State::VerificationUnavailable,
                       tr("This security key has no PIN and no built-in user verification, "
                          "which this approval requires.")};
    call.uv = builtInUv ? FIDO_OPT_TRUE : FIDO_OPT_OMIT;

    const int r = call.registration ? setUpCredential(call) : setUpAssertion(call);
    if (r != FIDO_OK)
        return Outcome{State::Failed, tr("Could not prepare the request (%1).").arg(fidoText(r))};
    return std::nullopt;
}

int FidoAuthenticator::setUpCredential(FidoCall &call)
{
    const Registration &registration = std::get<Registration>(call.request);
    const RegistrationOptions &o = registration.options;
    call.cred.reset(fido_cred_new());
    fido_cred_t *cred = call.cred.get();
    const QByteArray rpId = o.rpId.toUtf8();
    const QByteArray userName = o.userName.toUtf8();
    const QByteArray displayName = (o.displayName.isEmpty() ? o.userName : o.displayName).toUtf8();
    int r = FIDO_OK;
    if ((r = fido_cred_set_type(cred, COSE_ES256)) != FIDO_OK
        || (r = fido_cred_set_clientdata(cred, data(registration.clientDataJson),
                                         static_cast<size_t>(registration.clientDataJson.size())))
            != FIDO_OK
        || (r = fido_cred_set_rp(cred, rpId.constData(), rpId.constData())) != FIDO_OK
        || (r = fido_cred_set_user(cred, data(o.userHandle),
                                   static_cast<size_t>(o.userHandle.size()), userName.constData(),
                                   displayName.constData(), nullptr))
            != FIDO_OK
        || (r = fido_cred_set_uv(cred, call.uv)) != FIDO_OK)
        return r;
    for (const QByteArray &id : o.excludeIds) {
        if ((r = fido_cred_exclude(cred, data(id), static_cast<size_t>(id.size()))) != FIDO_OK)
            return r;
    }
    return FIDO_OK;
}

int FidoAuthenticator::setUpAssertion(FidoCall &call)
{
    const Assertion &assertion = std::get<Assertion>(call.request);
    const AssertionOptions &o = assertion.options;
    call.assertion.reset(fido_assert_new());
    fido_assert_t *fidoAssert = call.assertion.get();
    const QByteArray rpId = o.rpId.toUtf8();
    int r = FIDO_OK;
    if ((r = fido_assert_set_rp(fidoAssert, rpId.constData())) != FIDO_OK
        || (r = fido_assert_set_clientdata(fidoAssert, data(assertion.clientDataJson),
                                           static_cast<size_t>(assertion.clientDataJson.size())))
            != FIDO_OK
        || (r = fido_assert_set_up(fidoAssert, FIDO_OPT_TRUE)) != FIDO_OK
        || (r = fido_assert_set_uv(fidoAssert, call.uv)) != FIDO_OK)
        return r;
    for (const QByteArray &id : o.allowCredentialIds) {
        if ((r = fido_assert_allow_cred(fidoAssert, data(id), static_cast<size_t>(id.size())))
            != FIDO_OK)
            return r;
    }
    return FIDO_OK;
}

std::optional<FidoAuthenticator::Outcome> FidoAuthenticator::callUntilAnswered(fido_dev_t *device,
                                                                               FidoCall &call)
{
    bool pinWasWrong = false;
    for (;;) {
        QByteArray pin;
        if (call.usePin) {
            if (std::optional<Outcome> ending = waitForPin(device, pinWasWrong, pin))
                return ending;
        }
        {
            std::lock_guard lock(m_mutex);
            if (m_cancelled)
                return Outcome{State::Cancelled, tr("Cancelled.")};
            if (m_timedOut)
                return Outcome{State::Timeout, tr("The security key was not touched in time.")};
            m_openDevice = device;
        }
        // Said before the call blocks: the key is blinking from now on.
        post([this] { setState(State::TouchKey); });
        const char *pinText = call.usePin ? pin.constData() : nullptr;
        call.result = call.registration
            ? fido_dev_make_cred(device, call.cred.get(), pinText)
            : fido_dev_get_assert(device, call.assertion.get(), pinText);
        pin.fill('\0');
        bool cancelled = false;
        bool timedOut = false;
        {
            std::lock_guard lock(m_mutex);
            m_openDevice = nullptr;
            cancelled = m_cancelled;
            timedOut = m_timedOut;
        }
        if (cancelled)
            return Outcome{State::Cancelled, tr("Cancelled.")};
        if (timedOut)
            return Outcome{State::Timeout, tr("The security key was not touched in time.")};
        if (call.result != FIDO_ERR_PIN_INVALID)
            return std::nullopt;
        pinWasWrong = true;
    }
}

std::optional<FidoAuthenticator::Outcome>
FidoAuthenticator::waitForPin(fido_dev_t *device, bool pinWasWrong, QByteArray &pin)
{
    int retries = -1;
    if (fido_dev_get_retry_count(device, &retries) != FIDO_OK)
        retries = -1;
    if (retries == 0)
        return Outcome{State::PinBlocked,
                       tr("The security key's PIN is blocked: no attempts are left.")};
    const State asking = pinWasWrong ? State::PinWrong : State::PinNeeded;
    post([this, asking, retries] {
        setState(asking);
        Q_EMIT pinRequested(retries);
    });
    const Wait wait = waitUntil([this] { return m_pin.has_value(); }, std::nullopt);
    if (wait == Wait::Cancelled)
        return Outcome{State::Cancelled, tr("Cancelled.")};
    if (wait == Wait::TimedOut)
        return Outcome{State::Timeout, tr("The PIN was not entered in time.")};
    std::lock_guard lock(m_mutex);
    pin = std::move(*m_pin);
    m_pin.reset();
    return std::nullopt;
}

FidoAuthenticator::Outcome FidoAuthenticator::outcomeForFidoError(int fidoError)
{
    const QString detail = fidoText(fidoError);
    switch (fidoError) {
    case FIDO_OK:
        return {State::Done, {}};
    case FIDO_ERR_PIN_BLOCKED:
    case FIDO_ERR_PIN_AUTH_BLOCKED:
        return {State::PinBlocked, tr("The security key's PIN is blocked (%1).").arg(detail)};
    case FIDO_ERR_KEEPALIVE_CANCEL:
        return {State::Cancelled, tr("The operation was cancelled on the key (%1).").arg(detail)};
    case FIDO_ERR_ACTION_TIMEOUT:
    case FIDO_ERR_USER_ACTION_TIMEOUT:
        return {State::Timeout, tr("The security key was not touched in time (%1).").arg(detail)};
    case FIDO_ERR_OPERATION_DENIED:
    case FIDO_ERR_NOT_ALLOWED:
        return {State::Refused, tr("The security key refused (%1).").arg(detail)};
    case FIDO_ERR_NO_CREDENTIALS:
        return {
            State::NotRegistered,
            tr("This security key holds no passkey registered with the gateway (%1).").arg(detail)};
    case FIDO_ERR_CREDENTIAL_EXCLUDED:
        return {State::AlreadyRegistered,
                tr("This security key is registered already (%1).").arg(detail)};
    case FIDO_ERR_UNSUPPORTED_ALGORITHM:
        return {State::UnsupportedAlgorithm,
                tr("This security key cannot make ES256 (P-256) credentials (%1).").arg(detail)};
    case FIDO_ERR_TX:
    case FIDO_ERR_RX:
        return {State::KeyRemoved,
                tr("The security key stopped answering; was it removed? (%1)").arg(detail)};
    default:
        return {State::Failed, tr("The security key failed (%1).").arg(detail)};
    }
}

FidoAuthenticator::Outcome FidoAuthenticator::readRegistration(const FidoCall &call,
                                                               const AuthenticatorDevice &info)
{
    const fido_cred_t *cred = call.cred.get();
    RegistrationResult result;
    result.credentialId = bytes(fido_cred_id_ptr(cred), fido_cred_id_len(cred));
    result.clientDataJson = std::get<Registration>(call.request).clientDataJson;
    result.authenticatorData =
        bytes(fido_cred_authdata_raw_ptr(cred), fido_cred_authdata_raw_len(cred));
    result.fmt = QString::fromUtf8(fido_cred_fmt(cred));
    result.attestationSignature = bytes(fido_cred_sig_ptr(cred), fido_cred_sig_len(cred));
    if (fido_cred_x5c_len(cred) > 0)
        result.x5c = {bytes(fido_cred_x5c_ptr(cred), fido_cred_x5c_len(cred))};
    const QByteArray xy = bytes(fido_cred_pubkey_ptr(cred), fido_cred_pubkey_len(cred));
    result.publicKey = xy.size() == 64 ? QByteArray(1, '\x04') + xy : QByteArray();
    result.userVerified = (fido_cred_flags(cred) & uvFlag) != 0;
    result.deviceName = info.product;
    if (result.credentialId.isEmpty() || result.authenticatorData.isEmpty()
        || result.publicKey.isEmpty())
        return {State::Failed, tr("The security key's answer is incomplete.")};
    if (call.wanted == UserVerification::Required && !result.userVerified)
        return {State::VerificationUnavailable, tr("The security key did not verify the user.")};
    Outcome done(State::Done, {});
    done.registration = result;
    return done;
}

FidoAuthenticator::Outcome FidoAuthenticator::readAssertion(const FidoCall &call)
{
    const fido_assert_t *fidoAssert = call.assertion.get();
    if (fido_assert_count(fidoAssert) != 1)
        return {State::Failed, tr("The security key's answer is incomplete.")};
    const Assertion &asked = std::get<Assertion>(call.request);
    AssertionResult result;
    result.credentialId =
        bytes(fido_assert_id_ptr(fidoAssert, 0), fido_assert_id_len(fidoAssert, 0));
    result.authenticatorData = unwrapByteString(
        bytes(fido_assert_authdata_ptr(fidoAssert, 0), fido_assert_authdata_len(fidoAssert, 0)));
    result.clientDataJson = asked.clientDataJson;
    result.signature =
        bytes(fido_assert_sig_ptr(fidoAssert, 0), fido_assert_sig_len(fidoAssert, 0));
    result.userVerified = (fido_assert_flags(fidoAssert, 0) & uvFlag) != 0;
    result.signCount = fido_assert_sigcount(fidoAssert, 0);
    // A key answering with a credential nobody asked for is broken or
    // hostile; the gateway would refuse it anyway.
    if (result.authenticatorData.isEmpty() || result.signature.isEmpty()
        || !asked.options.allowCredentialIds.contains(result.credentialId))
        return {State::Failed, tr("The security key's answer is incomplete.")};
    if (call.wanted == UserVerification::Required && !result.userVerified)
        return {State::VerificationUnavailable, tr("The security key did not verify the user.")};
    Outcome done(State::Done, {});
    done.assertion = result;
    return done;
}

} // namespace countersign
