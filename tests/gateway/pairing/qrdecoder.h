#pragma once

#include <QImage>
#include <QString>

namespace countersign::testing {

struct DecodedQrCode {
    bool valid = false;
    QString text;
    QString errorCorrectionLevel; // "L", "M", "Q" or "H"
};

// Decodes the one QR code in image with ZXing. All ZXing calls live in this
// file: ZXing 2.x renames DecodeHints and returns std::string from text(),
// so moving to it is a change here only.
DecodedQrCode decodeQrCode(const QImage &image);

} // namespace countersign::testing
