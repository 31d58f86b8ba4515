#include "pairinglinkfinder.h"

namespace countersign {

Result<PairingLink> PairingLinkFinder::fromDecodedTexts(const QStringList &texts)
{
    if (texts.isEmpty()) {
        return makeError(ErrorCode::MalformedLink,
                         QStringLiteral("no QR code was found in the image"));
    }
    QList<PairingLink> links;
    QString lastProblem;
    for (const QString &text : texts) {
        auto link = PairingLink::parse(text);
        if (!link) {
            lastProblem = link.error().message;
            // "(not a pairing link: it must start with …)" would repeat
            // what the sentence below says.
            if (const QString repeated = QStringLiteral("not a pairing link: ");
                lastProblem.startsWith(repeated))
                lastProblem = lastProblem.mid(repeated.size());
            continue;
        }
        if (!links.contains(link.value()))
            links.append(std::move(link).value());
    }
    if (links.isEmpty()) {
        if (texts.size() == 1) {
            return makeError(ErrorCode::MalformedLink,
                             QStringLiteral("the QR code is not a Countersign pairing link (%1)")
                                 .arg(lastProblem));
        }
        return makeError(ErrorCode::MalformedLink,
                         QStringLiteral("none of the %1 QR codes in the image is a Countersign "
                                        "pairing link")
                             .arg(texts.size()));
    }
    if (links.size() > 1) {
        return makeError(ErrorCode::MalformedLink,
                         QStringLiteral("the image holds %1 different pairing links; show only "
                                        "the one to pair with")
                             .arg(links.size()));
    }
    return links.constFirst();
}

} // namespace countersign
