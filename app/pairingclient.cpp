#include "pairingclient.h"

#include "protocol/displaytext.h"
#include "protocol/jose/jws.h"
#include "protocol/messages/jsonfields.h"
#include "protocol/strictjson.h"
#include "protocol/tlspin.h"

#include <QDir>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QSysInfo>
#include <QTimer>

Q_LOGGING_CATEGORY(lcPairingClient, "countersign.app.pairing")

namespace countersign {

namespace {

using Kind = PairingFailure::Kind;

constexpr int protocolVersion = 1;
constexpr qsizetype maxDeviceIdLength = 128;
constexpr qsizetype maxUserLength = 256;
constexpr qsizetype maxGatewayIdLength = 2048;
// Refusal texts come from the gateway: shown only cleaned and cut short.
constexpr qsizetype maxShownGatewayText = 300;

QByteArray randomProbe()
{
    QByteArray bytes(16, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(bytes.data()),
                                          bytes.size() / static_cast<qsizetype>(sizeof(quint32)));
    return bytes;
}

QByteArray compactJson(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// "{gw}/companion/v1/pair" as the protocol writes it: appended to the
// gateway URL's path, should it have one.
QUrl pairingUrl(const QUrl &gateway)
{
    QUrl url = gateway;
    QString path = gateway.path();
    while (path.endsWith(u'/'))
        path.chop(1);
    url.setPath(path + QStringLiteral("/companion/v1/pair"));
    return url;
}

std::optional<QString> deviceNameProblem(const QString &name)
{
    if (name.isEmpty())
        return QStringLiteral("the device name is empty");
    if (name.size() > PairingClient::maxDeviceNameLength) {
        return QStringLiteral("the device name is longer than %1 characters")
            .arg(PairingClient::maxDeviceNameLength);
    }
    if (!isDisplaySafe(name))
        return QStringLiteral("the device name contains control or formatting characters");
    return std::nullopt;
}

// Text from the other side, made safe to show: no characters that could make
// it read differently, and not endless.
QString cleaned(const QString &text)
{
    QString safe;
    for (const char32_t codePoint : text.toUcs4()) {
        if (!isDisplayUnsafe(codePoint))
            safe += QString::fromUcs4(&codePoint, 1);
    }
    if (safe.size() > maxShownGatewayText) {
        qsizetype cut = maxShownGatewayText;
        if (safe.at(cut - 1).isHighSurrogate())
            --cut; // never half a character
        safe = safe.left(cut) + QStringLiteral("...");
    }
    return safe;
}

// `codeSent`: whether the refusal came only after the request went out (the
// code is then spent), or at the handshake, before anything was sent.
PairingFailure pinMismatch(const QUrl &gateway, bool codeSent)
{
    return PairingFailure{
        Kind::PinMismatch,
        QStringLiteral("the TLS certificate of %1 does not carry the key the pairing link pins; "
                       "%2. Someone may be intercepting the connection, or the gateway's "
                       "certificate changed after the link was made: get a new link")
            .arg(gateway.toDisplayString(),
                 codeSent ? QStringLiteral("its answer was ignored")
                          : QStringLiteral("nothing was sent"))};
}

PairingFailure refusal(int status, const QByteArray &body)
{
    if (status == 401) {
        return PairingFailure{Kind::InvalidCode,
                              QStringLiteral("the gateway refused the pairing code: it is wrong, "
                                             "already used or expired. Create a new link with "
                                             "'countersign-gateway pair' and try again")};
    }
    if (status == 429) {
        return PairingFailure{Kind::RateLimited,
                              QStringLiteral("the gateway refused: too many pairing attempts from "
                                             "this computer. Wait a minute and try again")};
    }
    if (status < 400) {
        // Redirects are not followed: the code goes to the link's address only.
        return PairingFailure{
            Kind::MalformedAnswer,
            QStringLiteral("the gateway answered HTTP %1 instead of 201 Created").arg(status)};
    }
    // The documented error body, when there is one, says why.
    const QJsonObject error = QJsonDocument::fromJson(body).object();
    const QString code = cleaned(error.value(QStringLiteral("error")).toString());
    const QString message = cleaned(error.value(QStringLiteral("message")).toString());
    QString text = QStringLiteral("the gateway refused pairing (HTTP %1").arg(status);
    if (!code.isEmpty())
        text += QStringLiteral(", ") + code;
    text += u')';
    if (!message.isEmpty())
        text += QStringLiteral(": ") + message;
    return PairingFailure{Kind::Refused, text};
}

} // namespace

PairingClient::PairingClient(SecretStore &secrets, const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_secrets(secrets)
    , m_clock(clock)
{
}

PairingClient::~PairingClient()
{
    // Aborting emits finished(); this object must not hear it half destroyed.
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
    }
}

QString PairingClient::defaultDeviceName()
{
    return defaultDeviceName(QSysInfo::machineHostName(), currentUserName());
}

QString PairingClient::defaultDeviceName(const QString &hostName, const QString &userName)
{
    // The first label only: "build-box.corp.example.com" is "build-box".
    const QString host = hostName.section(u'.', 0, 0).trimmed();
    const QString user = userName.trimmed();
    const bool hostUsable = !host.isEmpty() && host != u"localhost" && !deviceNameProblem(host);
    const bool userUsable = !user.isEmpty() && !deviceNameProblem(user);
    QString name;
    if (hostUsable && userUsable)
        name = QStringLiteral("%1 on %2").arg(user, host);
    else if (hostUsable)
        name = host;
    else if (userUsable)
        name = QStringLiteral("%1's computer").arg(user);
    name = name.left(maxDeviceNameLength);
    if (!name.isEmpty() && !deviceNameProblem(name))
        return name;
    return QStringLiteral("Countersign companion");
}

QString PairingClient::currentUserName()
{
    for (const char *variable : {"USER", "LOGNAME", "USERNAME"}) {
        const QString name = qEnvironmentVariable(variable).trimmed();
        if (!name.isEmpty())
            return name;
    }
    return QDir::home().dirName();
}

bool PairingClient::pair(const PairingLink &link, const QString &deviceName)
{
    if (m_busy)
        return false;
    m_busy = true;
    m_link = link;

    const QString name = deviceName.trimmed();
    if (const auto problem = deviceNameProblem(name)) {
        failLater(Kind::InvalidDeviceName, *problem);
        return true;
    }
    auto key = EcPrivateKey::generate();
    if (!key) {
        failLater(Kind::Internal,
                  QStringLiteral("could not create a device key: ") + key.error().message);
        return true;
    }
    // Possession of the new key: it signs this code and the current time.
    const QJsonObject claims{{QStringLiteral("v"), protocolVersion},
                             {QStringLiteral("code"), link.code()},
                             {QStringLiteral("iat"), m_clock.secondsSinceEpoch()}};
    const auto proof =
        Jws::sign(compactJson(claims), key.value(), QStringLiteral("countersign-pair+jwt"),
                  key->publicKey().thumbprint());
    if (!proof) {
        failLater(Kind::Internal,
                  QStringLiteral("could not sign the pairing proof: ") + proof.error().message);
        return true;
    }
    m_deviceKey = std::move(key).value();
    m_deviceName = name;
    m_body =
        compactJson(QJsonObject{{QStringLiteral("v"), protocolVersion},
                                {QStringLiteral("code"), link.code()},
                                {QStringLiteral("device_name"), name},
                                {QStringLiteral("device_key"), m_deviceKey->publicKey().toJwk()},
                                {QStringLiteral("proof"), QString::fromLatin1(proof.value())}});
    // The keychain first: a locked or missing one would otherwise leave the
    // gateway with a registered device whose key nobody keeps.
    probeKeychain();
    return true;
}

void PairingClient::probeKeychain()
{
    const QByteArray probe = randomProbe();
    const auto unusable = [this](const QString &step, const QString &why) {
        fail(Kind::KeychainUnavailable,
             QStringLiteral("the system keychain could not %1 a test entry (%2), so this computer "
                            "could not keep its key. Nothing was sent to the gateway: unlock or "
                            "set up the keychain, then try again")
                 .arg(step, why));
    };
    m_secrets.write(probeKeyName, probe, this, [this, probe, unusable](const Status &written) {
        if (!written)
            return unusable(QStringLiteral("store"), written.error().message);
        m_secrets.read(
            probeKeyName, this,
            [this, probe, unusable](const Result<std::optional<QByteArray>> &read) {
                if (!read)
                    return unusable(QStringLiteral("read back"), read.error().message);
                if (read.value() != std::optional(probe)) {
                    return unusable(QStringLiteral("read back"),
                                    QStringLiteral("it returned something else"));
                }
                m_secrets.remove(probeKeyName, this, [this, unusable](const Status &removed) {
                    if (!removed)
                        return unusable(QStringLiteral("remove"), removed.error().message);
                    post();
                });
            });
    });
}

void PairingClient::post()
{
    const PairingLink &link = *m_link;

    QNetworkRequest request(pairingUrl(link.gatewayUrl()));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader("Accept", "application/json");
    // The code goes to the address in the link and nowhere else.
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    request.setTransferTimeout(static_cast<int>(m_timeout.count()));
    // A connection kept from an earlier pairing was checked against another
    // link's pin; this one must make its own handshake.
    m_network.clearConnectionCache();

    qCInfo(lcPairingClient) << "pairing with" << link.gatewayUrl().toDisplayString()
                            << (link.hasSpkiPin() ? "(TLS key pinned)" : "");
    QNetworkReply *reply = m_network.post(request, m_body);
    m_reply = reply;
    connect(reply, &QNetworkReply::sslErrors, this,
            [this, reply](const QList<QSslError> &errors) { onSslErrors(*reply, errors); });
    connect(reply, &QNetworkReply::encrypted, this, [this, reply] { onEncrypted(*reply); });
    connect(reply, &QNetworkReply::metaDataChanged, this, [this, reply] {
        const qint64 announced = reply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
        if (announced > maxAnswerBytes)
            abortWith(*reply, Kind::MalformedAnswer,
                      QStringLiteral("the gateway's answer is too large"));
    });
    connect(reply, &QNetworkReply::readyRead, this, [this, reply] {
        if (reply->bytesAvailable() > maxAnswerBytes)
            abortWith(*reply, Kind::MalformedAnswer,
                      QStringLiteral("the gateway's answer is too large"));
    });
    connect(reply, &QNetworkReply::finished, this, [this, reply] { onFinished(*reply); });
}

void PairingClient::abortWith(QNetworkReply &reply, PairingFailure::Kind kind,
                              const QString &message)
{
    if (!m_abortReason)
        m_abortReason = PairingFailure{kind, message};
    reply.abort();
}

bool PairingClient::peerMatchesPin(const QNetworkReply &reply) const
{
    const QString peer = spkiPin(reply.sslConfiguration().peerCertificate());
    return !peer.isEmpty() && peer == m_link->spki();
}

void PairingClient::onSslErrors(QNetworkReply &reply, const QList<QSslError> &errors)
{
    if (m_link->hasSpkiPin()) {
        // With a pin the key is what is trusted, not a CA or the host name
        // (the certificate is self-signed by design).
        if (peerMatchesPin(reply))
            reply.ignoreSslErrors(errors);
        else
            m_abortReason = pinMismatch(m_link->gatewayUrl(), false);
        return;
    }
    for (const QSslError &error : errors)
        m_tlsErrors.append(error.errorString());
}

void PairingClient::onEncrypted(QNetworkReply &reply)
{
    // A certificate the system trusts raises no sslErrors: the pin is checked
    // here too, after the handshake and before the code is sent.
    if (m_link->hasSpkiPin() && !peerMatchesPin(reply)) {
        const PairingFailure mismatch = pinMismatch(m_link->gatewayUrl(), false);
        abortWith(reply, mismatch.kind, mismatch.message);
    }
}

void PairingClient::onFinished(QNetworkReply &reply)
{
    m_reply = nullptr;
    reply.deleteLater();
    const QUrl gateway = m_link->gatewayUrl();

    if (m_abortReason)
        return fail(m_abortReason->kind, m_abortReason->message);
    const int status = reply.attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 0) {
        if (reply.error() == QNetworkReply::SslHandshakeFailedError && !m_tlsErrors.isEmpty()) {
            return fail(
                Kind::UntrustedCertificate,
                QStringLiteral("this computer does not trust the TLS certificate of %1 "
                               "(%2), and the pairing link pins no key for it")
                    .arg(gateway.toDisplayString(), m_tlsErrors.join(QStringLiteral("; "))));
        }
        if (reply.error() == QNetworkReply::OperationCanceledError) {
            return fail(Kind::Unreachable,
                        QStringLiteral("the gateway at %1 did not answer within %2 seconds")
                            .arg(gateway.toDisplayString(),
                                 QString::number(static_cast<double>(m_timeout.count()) / 1000.0)));
        }
        return fail(Kind::Unreachable,
                    QStringLiteral("cannot reach the gateway at %1: %2")
                        .arg(gateway.toDisplayString(), reply.errorString()));
    }
    // Belt and braces: whatever path the handshake took, the answer counts
    // only from the pinned key.
    if (m_link->hasSpkiPin() && gateway.scheme() == u"https" && !peerMatchesPin(reply)) {
        const PairingFailure mismatch = pinMismatch(gateway, true);
        return fail(mismatch.kind, mismatch.message);
    }
    const QByteArray body = reply.read(maxAnswerBytes + 1);
    if (body.size() > maxAnswerBytes)
        return fail(Kind::MalformedAnswer, QStringLiteral("the gateway's answer is too large"));
    if (status != 201) {
        const PairingFailure refused = refusal(status, body);
        return fail(refused.kind, refused.message);
    }
    GatewayProfile profile;
    if (const auto invalid = readAnswer(body, profile))
        return fail(invalid->kind, invalid->message);
    storeKey(profile);
}

std::optional<PairingFailure> PairingClient::readAnswer(const QByteArray &body,
                                                        GatewayProfile &profile) const
{
    const auto malformed = [](const QString &why) {
        return PairingFailure{Kind::MalformedAnswer,
                              QStringLiteral("the gateway's pairing answer is not valid (%1); it "
                                             "may speak another protocol version")
                                  .arg(why)};
    };
    const auto json = parseStrictJsonObject(body, QStringLiteral("pairing answer"));
    if (!json)
        return malformed(json.error().message);
    // Not a signed payload: members this version does not know are ignored
    // (docs/protocol.md 1.1), the ones it needs are checked strictly.
    const JsonFields fields(json.value(), QStringLiteral("answer"));
    if (const auto version = fields.checkVersion(protocolVersion); !version)
        return malformed(version.error().message);
    const auto deviceId = fields.requiredString(QStringLiteral("device_id"), maxDeviceIdLength);
    const auto user = fields.requiredString(QStringLiteral("user"), maxUserLength);
    const auto gatewayId = fields.requiredString(QStringLiteral("gateway_id"), maxGatewayIdLength);
    const auto name =
        fields.requiredString(QStringLiteral("gateway_name"), PairingLink::maxNameLength);
    const auto keyJson = fields.requiredObject(QStringLiteral("gateway_key"));
    for (const Error *error :
         {deviceId ? nullptr : &deviceId.error(), user ? nullptr : &user.error(),
          gatewayId ? nullptr : &gatewayId.error(), name ? nullptr : &name.error(),
          keyJson ? nullptr : &keyJson.error()}) {
        if (error)
            return malformed(error->message);
    }
    const auto key = EcPublicKey::fromJwk(keyJson.value());
    if (!key)
        return malformed(QStringLiteral("answer.gateway_key: ") + key.error().message);
    // The link is what the person trusted: the gateway must prove to hold
    // the key it names, or nothing of this answer is kept.
    if (key->thumbprint() != m_link->keyThumbprint()) {
        return PairingFailure{
            Kind::GatewayKeyMismatch,
            QStringLiteral("the gateway at %1 answered with a signing key other than the one "
                           "the pairing link names, so this computer did not pair with it. The "
                           "link may be stale (the gateway's key changed) or another server may "
                           "pose as the gateway: get a new link from its administrator")
                .arg(m_link->gatewayUrl().toDisplayString())};
    }
    profile.gatewayId = gatewayId.value();
    profile.name = name.value();
    profile.baseUrl = m_link->gatewayUrl();
    profile.deviceId = deviceId.value();
    profile.deviceName = m_deviceName;
    profile.userId = user.value();
    profile.gatewayKey = key->toJwk();
    profile.spkiPin = m_link->spki();
    return std::nullopt;
}

void PairingClient::storeKey(const GatewayProfile &profile)
{
    m_secrets.write(
        SecretStore::deviceKeyName(profile.gatewayId), m_deviceKey->toPkcs8Der(), this,
        [this, profile](const Status &stored) {
            if (!stored) {
                return fail(Kind::KeychainFailure,
                            QStringLiteral("the gateway %1 paired this device, but its key could "
                                           "not be kept in the keychain, so it cannot approve "
                                           "anything there: %2. Fix the keychain, then pair "
                                           "again with a new link")
                                .arg(profile.name, stored.error().message));
            }
            qCInfo(lcPairingClient) << "paired with" << profile.gatewayId << "as device"
                                    << profile.deviceId << "for" << profile.userId;
            reset();
            Q_EMIT succeeded(profile);
        });
}

void PairingClient::fail(PairingFailure::Kind kind, QString message)
{
    qCWarning(lcPairingClient).noquote() << "pairing failed:" << message;
    reset();
    Q_EMIT failed(PairingFailure{kind, std::move(message)});
}

void PairingClient::failLater(PairingFailure::Kind kind, const QString &message)
{
    QTimer::singleShot(0, this, [this, kind, message] { fail(kind, message); });
}

void PairingClient::reset()
{
    m_busy = false;
    m_link.reset();
    m_deviceKey.reset(); // the keychain has it now, or it is of no use
    m_abortReason.reset();
    m_tlsErrors.clear();
    m_body.clear();
    m_deviceName.clear();
}

} // namespace countersign
