#include "qrdecoder.h"

#include <QPainter>

// ZXing 1.4's opt-in to what 2.x does by default: text() as UTF-8
// std::string instead of std::wstring. Opting in here keeps this file close
// to the 2.x API and silences 1.4's deprecation message.
#define ZX_USE_UTF8 1
#include <ZXing/ReadBarcode.h>

namespace countersign {

namespace {

// Transparent pixels are usually black with zero alpha: converted to gray
// as they are, a black code on a transparent background would vanish into
// black. Drawing onto white first shows the image as a viewer would.
QImage onWhite(const QImage &image)
{
    if (!image.hasAlphaChannel())
        return image;
    QImage flat(image.size(), QImage::Format_RGB32);
    flat.fill(Qt::white);
    QPainter painter(&flat);
    painter.drawImage(0, 0, image);
    return flat;
}

void readInto(const QImage &gray, QStringList &texts)
{
    const ZXing::ImageView view(gray.constBits(), gray.width(), gray.height(),
                                ZXing::ImageFormat::Lum, static_cast<int>(gray.bytesPerLine()));
    // tryHarder and tryRotate are ZXing's defaults; spelled out because a
    // screenshot is exactly the case they are for.
    const auto hints = ZXing::DecodeHints()
                           .setFormats(ZXing::BarcodeFormat::QRCode)
                           .setTryHarder(true)
                           .setTryRotate(true);
    for (const ZXing::Result &result : ZXing::ReadBarcodes(view, hints)) {
        if (!result.isValid())
            continue;
        const QString text = QString::fromStdString(result.text());
        if (!texts.contains(text))
            texts.append(text);
    }
}

} // namespace

QStringList QrDecoder::decode(const QImage &image)
{
    if (image.isNull())
        return {};
    QImage source = image;
    if (source.width() > maxSide || source.height() > maxSide)
        source = source.scaled(maxSide, maxSide, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    QImage gray = onWhite(source).convertToFormat(QImage::Format_Grayscale8);
    QStringList texts;
    readInto(gray, texts);
    // ZXing 1.4 has no inversion option (2.x adds tryInvert): light-on-dark
    // codes are read from an inverted copy.
    gray.invertPixels();
    readInto(gray, texts);
    return texts;
}

} // namespace countersign
