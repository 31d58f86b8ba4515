#include "qrdecoder.h"

#include <ZXing/ReadBarcode.h>

namespace countersign::testing {

DecodedQrCode decodeQrCode(const QImage &image)
{
    const QImage gray = image.convertToFormat(QImage::Format_Grayscale8);
    const ZXing::ImageView view(gray.constBits(), gray.width(), gray.height(),
                                ZXing::ImageFormat::Lum, static_cast<int>(gray.bytesPerLine()));
    // Only QR codes, and no inversion: the test must see the code as it is.
    const auto hints = ZXing::DecodeHints().setFormats(ZXing::BarcodeFormat::QRCode);
    const ZXing::Result result = ZXing::ReadBarcode(view, hints);
    DecodedQrCode decoded;
    decoded.valid = result.isValid();
    if (decoded.valid) {
        decoded.text = QString::fromStdWString(result.text());
        decoded.errorCorrectionLevel = QString::fromStdWString(result.ecLevel());
    }
    return decoded;
}

} // namespace countersign::testing
