#pragma once

#include <QImage>
#include <QStringList>

namespace countersign {

// Finds the QR codes in a picture: a screen grab, an image file, a pasted
// image. It only reads them; whether a text is a pairing link is for
// PairingLink::parse to decide, which treats it as untrusted input.
//
// Every ZXing call lives in qrdecoder.cpp: ZXing 2.x renames DecodeHints to
// ReaderOptions (and 1.4 needs the inversion done by hand), so moving to it is
// a change in one file.
class QrDecoder {
public:
    // Larger images are scaled down first, which bounds the memory and time a
    // hostile or simply huge image can cost.
    static constexpr int maxSide = 8192;

    // The text of every QR code found, each text once, in the order ZXing
    // finds them; empty when there is none (or the image is null). Dark codes
    // on light ground, light codes on dark ground (dark-theme screenshots, the
    // gateway's inverted terminal code) and transparent backgrounds all work.
    static QStringList decode(const QImage &image);
};

} // namespace countersign
