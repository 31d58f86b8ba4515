#include "pairingdialogtext.h"

#include "protocol/jose/jwkthumbprint.h"

#include <QFontDatabase>

namespace countersign {

QString PairingDialogText::groupedFingerprint(const QString &thumbprint)
{
    return fingerprintForReading(thumbprint);
}

QFont PairingDialogText::fingerprintFont(const QFont &like)
{
    QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    fixed.setStyleHint(QFont::Monospace);
    if (like.pointSizeF() > 0)
        fixed.setPointSizeF(like.pointSizeF());
    else if (like.pixelSize() > 0)
        fixed.setPixelSize(like.pixelSize());
    return fixed;
}

QString PairingDialogText::linkProblem(const QString &parserMessage)
{
    // The parser starts some messages with what the dialog's sentence says
    // already ("not a pairing link: it must start with countersign://").
    static const QString prefix = QStringLiteral("not a pairing link: ");
    QString problem = parserMessage.trimmed();
    if (problem.startsWith(prefix, Qt::CaseInsensitive))
        problem = problem.mid(prefix.size());
    while (problem.endsWith(u'.'))
        problem.chop(1);
    return problem;
}

QString PairingDialogText::connectionDescription(const PairingLink &link)
{
    if (link.gatewayUrl().scheme() != u"https") {
        return tr("Not encrypted. Allowed only because the gateway runs on this computer.");
    }
    if (link.hasSpkiPin()) {
        // The pin itself has a row of its own, set like every fingerprint.
        return tr("Encrypted (TLS) with the gateway's own certificate, pinned by the link.");
    }
    return tr("Encrypted (TLS), with a certificate this computer's trusted authorities vouch for.");
}

QString PairingDialogText::failureHeadline(PairingFailure::Kind kind)
{
    using Kind = PairingFailure::Kind;
    switch (kind) {
    case Kind::InvalidDeviceName:
        return tr("This device name cannot be used");
    case Kind::Unreachable:
        return tr("The gateway could not be reached");
    case Kind::UntrustedCertificate:
        return tr("The gateway's certificate is not trusted");
    case Kind::PinMismatch:
        return tr("The gateway's certificate is not the one the link names");
    case Kind::InvalidCode:
        return tr("The link has been used or has expired");
    case Kind::RateLimited:
        return tr("Too many attempts");
    case Kind::Refused:
        return tr("The gateway refused to pair");
    case Kind::MalformedAnswer:
        return tr("The gateway's answer was not understood");
    case Kind::GatewayKeyMismatch:
        return tr("The gateway's key is not the one the link names");
    case Kind::KeychainUnavailable:
        return tr("The system keychain is not usable");
    case Kind::KeychainFailure:
        return tr("The key could not be stored in the keychain");
    case Kind::Internal:
        break;
    }
    return tr("Pairing did not complete");
}

QString PairingDialogText::failureAdvice(PairingFailure::Kind kind)
{
    using Kind = PairingFailure::Kind;
    switch (kind) {
    case Kind::InvalidDeviceName:
        return tr("Go back and choose a name of at most 64 ordinary characters.");
    case Kind::Unreachable:
        return tr("Check that the gateway is running and that this computer can reach its address "
                  "(network, VPN, firewall), then try again.");
    case Kind::UntrustedCertificate:
        return tr("Nothing was sent. Ask the gateway's administrator for a certificate from a "
                  "trusted authority, or for a link that pins the gateway's own certificate.");
    case Kind::PinMismatch:
        return tr("Someone may be intercepting the connection, or the gateway's certificate "
                  "changed after the link was made. Do not retry on this network; make a new "
                  "link on the gateway.");
    case Kind::InvalidCode:
        return tr("A link works once and only for a few minutes. Run countersign-gateway pair "
                  "again and use the new link.");
    case Kind::RateLimited:
        return tr("The gateway limits pairing attempts from one address. Wait a minute, then try "
                  "again.");
    case Kind::Refused:
        return tr("The details below are the gateway's words. Make a new link on the gateway and "
                  "try again; if it keeps refusing, ask its administrator.");
    case Kind::MalformedAnswer:
        return tr("The gateway may run a version this Countersign does not speak. Update the "
                  "gateway or Countersign, then pair with a new link.");
    case Kind::GatewayKeyMismatch:
        return tr("This may not be the gateway the link came from. Nothing was paired. Make a new "
                  "link directly on the gateway.");
    case Kind::KeychainUnavailable:
        return tr("Countersign keeps this computer's key in the system keychain, and could not "
                  "use it. Nothing was sent to the gateway and the link still works: unlock the "
                  "keychain (GNOME Keyring, KWallet) or set one up, then try again.");
    case Kind::KeychainFailure:
        return tr("The gateway registered this computer, but without its key Countersign cannot "
                  "use it. Unlock or set up the system keychain (GNOME Keyring, KWallet), then "
                  "pair again with a new link. The gateway's administrator can remove the "
                  "unusable registration.");
    case Kind::Internal:
        break;
    }
    return tr("Try again. If it keeps failing, please report it with the details below.");
}

bool PairingDialogText::canRetry(PairingFailure::Kind kind)
{
    using Kind = PairingFailure::Kind;
    switch (kind) {
    case Kind::Unreachable:
    case Kind::RateLimited:
    case Kind::KeychainUnavailable:
    case Kind::Internal:
        return true;
    case Kind::InvalidDeviceName:
    case Kind::UntrustedCertificate:
    case Kind::PinMismatch:
    case Kind::InvalidCode:
    case Kind::Refused:
    case Kind::MalformedAnswer:
    case Kind::GatewayKeyMismatch:
    case Kind::KeychainFailure:
        return false;
    }
    return false;
}

} // namespace countersign
