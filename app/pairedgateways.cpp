#include "pairedgateways.h"

#include "app/appid.h"
#include "protocol/base64url.h"
#include "protocol/jose/ecpublickey.h"

#include <algorithm>
#include <memory>

#include <QJsonDocument>
#include <QLoggingCategory>
#include <QPointer>
#include <QSettings>
#include <QTimer>

Q_LOGGING_CATEGORY(lcPairedGateways, "countersign.app.gateways")

namespace countersign {

namespace {

// QSettings layout: an array "gateways" of these keys, one entry per gateway.
const QString arrayKey = QStringLiteral("gateways");
const QString idKey = QStringLiteral("gatewayId");
const QString nameKey = QStringLiteral("name");
const QString urlKey = QStringLiteral("url");
const QString deviceKey = QStringLiteral("deviceId");
const QString deviceNameKey = QStringLiteral("deviceName");
const QString userKey = QStringLiteral("userId");
const QString gatewayKeyKey = QStringLiteral("gatewayKey");
const QString spkiKey = QStringLiteral("spkiPin");

std::unique_ptr<QSettings> openSettings()
{
    return std::make_unique<QSettings>(AppId::organizationName(), AppId::applicationName());
}

// One record as read back; anything that would not work as a pinned gateway
// is refused rather than half used.
Result<GatewayProfile> readProfile(const QSettings &settings)
{
    const auto invalid = [](const QString &why) { return makeError(ErrorCode::InvalidField, why); };
    GatewayProfile profile;
    profile.gatewayId = settings.value(idKey).toString();
    profile.name = settings.value(nameKey).toString();
    profile.baseUrl = QUrl(settings.value(urlKey).toString(), QUrl::StrictMode);
    profile.deviceId = settings.value(deviceKey).toString();
    profile.deviceName = settings.value(deviceNameKey).toString();
    profile.userId = settings.value(userKey).toString();
    profile.spkiPin = settings.value(spkiKey).toString();
    profile.gatewayKey =
        QJsonDocument::fromJson(settings.value(gatewayKeyKey).toString().toUtf8()).object();
    if (profile.gatewayId.isEmpty())
        return invalid(QStringLiteral("no gateway id"));
    if (!profile.baseUrl.isValid()
        || (profile.baseUrl.scheme() != u"https" && profile.baseUrl.scheme() != u"http")) {
        return invalid(QStringLiteral("no valid http(s) URL"));
    }
    if (profile.deviceId.isEmpty() || profile.userId.isEmpty())
        return invalid(QStringLiteral("no device or user id"));
    if (const auto key = EcPublicKey::fromJwk(profile.gatewayKey); !key)
        return invalid(QStringLiteral("gateway key: ") + key.error().message);
    if (!profile.spkiPin.isEmpty()) {
        const auto pin = base64UrlDecode(profile.spkiPin.toLatin1());
        if (!pin || pin->size() != 32)
            return invalid(QStringLiteral("the TLS pin is not a SHA-256 hash"));
    }
    if (profile.name.isEmpty())
        profile.name = profile.gatewayId;
    return profile;
}

void writeProfile(QSettings &settings, const GatewayProfile &profile)
{
    settings.setValue(idKey, profile.gatewayId);
    settings.setValue(nameKey, profile.name);
    settings.setValue(urlKey, profile.baseUrl.toString(QUrl::FullyEncoded));
    settings.setValue(deviceKey, profile.deviceId);
    if (!profile.deviceName.isEmpty())
        settings.setValue(deviceNameKey, profile.deviceName);
    settings.setValue(userKey, profile.userId);
    settings.setValue(
        gatewayKeyKey,
        QString::fromUtf8(QJsonDocument(profile.gatewayKey).toJson(QJsonDocument::Compact)));
    settings.setValue(spkiKey, profile.spkiPin);
}

} // namespace

PairedGateways::PairedGateways(SecretStore &secrets, QObject *parent)
    : QObject(parent)
    , m_secrets(secrets)
{
}

QList<GatewayProfile> PairedGateways::all() const
{
    const auto settings = openSettings();
    QList<GatewayProfile> profiles;
    const int count = settings->beginReadArray(arrayKey);
    for (int i = 0; i < count; ++i) {
        settings->setArrayIndex(i);
        auto profile = readProfile(*settings);
        if (!profile) {
            qCWarning(lcPairedGateways).noquote()
                << "ignoring paired gateway" << i << "in" << settings->fileName() << ":"
                << profile.error().message;
            continue;
        }
        profiles.append(std::move(profile).value());
    }
    settings->endArray();
    return profiles;
}

std::optional<GatewayProfile> PairedGateways::find(const QString &gatewayId) const
{
    for (const GatewayProfile &profile : all()) {
        if (profile.gatewayId == gatewayId)
            return profile;
    }
    return std::nullopt;
}

Status PairedGateways::save(const GatewayProfile &profile)
{
    if (profile.gatewayId.isEmpty())
        return makeError(ErrorCode::InvalidField, QStringLiteral("the gateway id is empty"));
    QList<GatewayProfile> profiles = all();
    const auto same = std::find_if(profiles.begin(), profiles.end(), [&](const auto &known) {
        return known.gatewayId == profile.gatewayId;
    });
    if (same != profiles.end())
        *same = profile;
    else
        profiles.append(profile);
    return writeAll(profiles);
}

Status PairedGateways::writeAll(const QList<GatewayProfile> &profiles)
{
    const auto settings = openSettings();
    // Rewritten whole: the array has no gaps and no entries of removed ones.
    settings->remove(arrayKey);
    settings->beginWriteArray(arrayKey, static_cast<int>(profiles.size()));
    for (int i = 0; i < profiles.size(); ++i) {
        settings->setArrayIndex(i);
        writeProfile(*settings, profiles.at(i));
    }
    settings->endArray();
    settings->sync();
    if (settings->status() != QSettings::NoError) {
        return makeError(
            ErrorCode::StorageFailure,
            QStringLiteral("could not write the paired gateways to %1").arg(settings->fileName()));
    }
    Q_EMIT changed();
    return Ok{};
}

void PairedGateways::unpair(const QString &gatewayId, const QObject *context,
                            SecretStore::StatusCallback done)
{
    Q_ASSERT(context);
    if (gatewayId.isEmpty()) {
        QTimer::singleShot(0, context, [done = std::move(done)] {
            done(makeError(ErrorCode::InvalidField, QStringLiteral("the gateway id is empty")));
        });
        return;
    }
    // The removal finishes even if the caller goes away meanwhile; only the
    // callback is skipped then.
    m_secrets.remove(SecretStore::deviceKeyName(gatewayId), this,
                     [this, gatewayId, caller = QPointer<const QObject>(context),
                      done = std::move(done)](const Status &removed) {
                         Status result = removed;
                         if (removed) {
                             QList<GatewayProfile> profiles = all();
                             const auto removedCount = profiles.removeIf([&](const auto &profile) {
                                 return profile.gatewayId == gatewayId;
                             });
                             if (removedCount > 0)
                                 result = writeAll(profiles);
                         }
                         if (result) {
                             qCInfo(lcPairedGateways) << "unpaired" << gatewayId;
                         } else {
                             qCWarning(lcPairedGateways).noquote()
                                 << "unpairing" << gatewayId << "failed:" << result.error().message;
                         }
                         if (caller)
                             done(result);
                     });
}

} // namespace countersign
