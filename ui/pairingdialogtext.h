#pragma once

#include "app/pairingfailure.h"
#include "protocol/pairing/pairinglink.h"

#include <QCoreApplication>
#include <QFont>
#include <QString>

namespace countersign {

// The pairing dialog's sentences that depend on what happened, apart from
// the widgets so that each can be checked on its own.
class PairingDialogText {
    Q_DECLARE_TR_FUNCTIONS(PairingDialogText)

public:
    // A base64url thumbprint in groups of four ("NzbL sXh8 uDCc …"): the
    // same characters `countersign-gateway pair` prints as "Gateway key
    // fingerprint", easier to compare.
    static QString groupedFingerprint(const QString &thumbprint);
    // The font fingerprints are shown in, everywhere (pairing, Settings):
    // the system's fixed-pitch font at the size of `like`, so that the
    // groups line up as in the gateway's terminal.
    static QFont fingerprintFont(const QFont &like);

    // A link parser's message, to follow "That is not a Countersign pairing
    // link: ": without what that sentence says already, nor a final stop.
    static QString linkProblem(const QString &parserMessage);

    // How the connection to the gateway is protected, from the link.
    static QString connectionDescription(const PairingLink &link);

    // One short line saying what went wrong, and what to do next.
    static QString failureHeadline(PairingFailure::Kind kind);
    static QString failureAdvice(PairingFailure::Kind kind);

    // Whether the same link may work if tried again (nothing was spent, or
    // the obstacle may pass): the dialog then offers "Try again".
    static bool canRetry(PairingFailure::Kind kind);
};

} // namespace countersign
