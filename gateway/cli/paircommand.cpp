#include "gateway/cli/commandcontext.h"
#include "gateway/keys/signingkey.h"
#include "gateway/pairing/pairingservice.h"
#include "gateway/pairing/qrcode.h"
#include "gateway/runtime/gatewayruntime.h"
#include "protocol/jose/jwkthumbprint.h"
#include "protocol/tlspin.h"

#include <QDateTime>

namespace countersign::gateway {

int runPair(const QStringList &arguments)
{
    CommandContext context(QStringLiteral("countersign-gateway pair"),
                           QStringLiteral("Create a single-use pairing link for a user and show "
                                          "it as a QR code for the Countersign companion."));
    context.addUserOption();
    context.addPngOption();
    if (!context.parse(arguments))
        return context.exitCode();
    auto config = context.loadConfig();
    if (!config)
        return context.exitCode();
    const auto userId = context.requireKnownUser(*config);
    if (!userId)
        return context.exitCode();

    auto store = SqliteStore::open(context.dataDir());
    if (!store)
        return context.fail(store.error().message);
    const auto key = SigningKey::loadOrCreate(context.dataDir());
    if (!key)
        return context.fail(key.error().message);
    const QString pin = config->tls ? (config->tls->certificateChain.constFirst().isSelfSigned()
                                           ? spkiPin(config->tls->certificateChain.constFirst())
                                           : QString())
                                    : QString();
    SystemClock clock;
    PairingService pairing(**store, clock,
                           GatewayIdentity{config->publicUrl.toString(QUrl::FullyEncoded),
                                           config->publicUrl, config->name, key->publicKey(), pin},
                           config->pairingOfferTtl.count());
    const auto offer = pairing.createOffer(*userId);
    if (!offer)
        return context.fail(offer.error().message);
    const QString link = offer->link.toString();
    const auto qr = QrCode::encode(link.toUtf8());
    if (!qr)
        return context.fail(qr.error().message);

    QTextStream &out = context.out();
    out << "Pair a Countersign companion for " << *userId << ": scan this code, or open the link "
        << "below on the computer that runs the companion.\n\n"
        << qr->toTerminalText() << '\n'
        << link << "\n\n"
        << "Gateway key fingerprint: " << fingerprintForReading(key->publicKey().thumbprint())
        << '\n'
        << "The link works once and expires in "
        << (offer->expiresAt - QDateTime::currentSecsSinceEpoch() + 59) / 60 << " minutes (at "
        << QDateTime::fromSecsSinceEpoch(offer->expiresAt).toString(QStringLiteral("HH:mm"))
        << " local time).\n";
    if (!context.writePngIfAsked(qr.value()))
        return context.exitCode();
    out.flush();
    return CommandContext::Success;
}

} // namespace countersign::gateway
