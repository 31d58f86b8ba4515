#pragma once

#include "protocol/pairing/pairinglink.h"

#include <QStringList>

namespace countersign {

// Picks the pairing link out of what a QR scan found (the texts QrDecoder
// returns for a screenshot, an image file or a pasted image). Every text is
// untrusted: it must parse as a PairingLink, and an image that holds two
// different links is refused rather than guessed at.
class PairingLinkFinder {
public:
    static Result<PairingLink> fromDecodedTexts(const QStringList &texts);
};

} // namespace countersign
