#pragma once

#include "protocol/result.h"

#include <QByteArray>
#include <QString>

namespace countersign::gateway {

// A QR code for a pairing link, shown in the terminal by
// `countersign-gateway pair` and optionally written as a PNG. Built on
// libqrencode (8-bit mode, error correction M) and libpng, because the
// gateway must not link Qt Gui.
class QrCode {
public:
    // Pairing links are at most 2048 characters (PairingLink::maxLinkLength),
    // which fits a version 40 code at level M (2331 bytes).
    static constexpr qsizetype maxTextBytes = 2048;
    static constexpr int maxPngScale = 64;
    static constexpr int maxQuietZone = 64;

    // InvalidField for empty text, InputTooLarge above maxTextBytes.
    static Result<QrCode> encode(const QByteArray &text);

    // Modules per side (21 for version 1 .. 177 for version 40).
    int size() const;
    // Outside 0..size()-1 is the light quiet zone: false.
    bool isDark(int x, int y) const;

    // Two module rows per line with U+2580, U+2584, U+2588 and spaces, each
    // line ending in '\n'; (size() + 2 * quietZone + 1) / 2 lines.
    //
    // Inverted on purpose: LIGHT modules (and the quiet zone) are drawn as
    // the filled part of the glyphs and dark modules are left blank. On the
    // usual dark-background terminal the glyphs are light, so the code comes
    // out dark-on-light with a light quiet zone, exactly as printed codes
    // are. On a light-background terminal the same text shows a light-on-dark
    // (inverted) code, which phone cameras (iOS, Google Lens) and ZXing with
    // inversion decode too; for scanners that do not, the PNG is the
    // fallback. Plain glyphs without colour escapes keep the output safe to
    // pipe, log and paste.
    QString toTerminalText(int quietZone = 2) const;

    // An 8-bit grayscale PNG, scale pixels per module, dark modules black on
    // white with quietZone light modules around. The file is created 0600
    // whatever the umask (it may encode a TOTP seed) and renamed into place,
    // so the file at path is either the old one or the complete new one.
    // StorageFailure (naming the path) when it cannot be written or path is a
    // symbolic link or another non-regular file; InvalidField
    // for a scale or quiet zone outside 1..64 / 0..64.
    Status writePng(const QString &path, int scale = 8, int quietZone = 4) const;

private:
    QrCode() = default;

    int m_size = 0;
    QByteArray m_modules; // m_size * m_size, row-major, 1 = dark
};

} // namespace countersign::gateway
