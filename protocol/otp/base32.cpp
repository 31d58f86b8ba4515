#include "base32.h"

namespace countersign {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// Returns the 5-bit value of a Base32 character, or -1.
int base32Value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a';
    }
    if (c >= '2' && c <= '7') {
        return c - '2' + 26;
    }
    return -1;
}

// How many '=' an 8-character group ends with, given how many data
// characters it holds. -1 marks data lengths no byte string encodes to
// (1, 3 and 6 characters would leave a whole unused byte's worth of bits).
int paddingFor(qsizetype dataCharsInLastGroup)
{
    switch (dataCharsInLastGroup) {
    case 0:
        return 0;
    case 2:
        return 6;
    case 4:
        return 4;
    case 5:
        return 3;
    case 7:
        return 1;
    default:
        return -1;
    }
}

Error malformed(const QString &what)
{
    return makeError(ErrorCode::MalformedBase32, QStringLiteral("Base32 text ") + what);
}

} // namespace

QByteArray base32Encode(QByteArrayView data, Base32Padding padding)
{
    QByteArray out;
    out.reserve((data.size() + 4) / 5 * 8);
    quint32 buffer = 0;
    int bits = 0;
    for (const char byte : data) {
        buffer = (buffer << 8) | static_cast<quint8>(byte);
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out.append(kAlphabet[(buffer >> bits) & 0x1f]);
        }
    }
    if (bits > 0) {
        out.append(kAlphabet[(buffer << (5 - bits)) & 0x1f]);
    }
    if (padding == Base32Padding::Include) {
        while (out.size() % 8 != 0) {
            out.append('=');
        }
    }
    return out;
}

Result<QByteArray> base32Decode(QByteArrayView text)
{
    if (text.size() > kBase32MaxTextLength) {
        return makeError(
            ErrorCode::InputTooLarge,
            QStringLiteral("Base32 text is longer than %1 characters").arg(kBase32MaxTextLength));
    }

    qsizetype dataLength = text.size();
    while (dataLength > 0 && text[dataLength - 1] == '=') {
        --dataLength;
    }
    const qsizetype padLength = text.size() - dataLength;

    for (qsizetype i = 0; i < dataLength; ++i) {
        if (base32Value(text[i]) < 0) {
            if (text[i] == '=') {
                return malformed(QStringLiteral("has padding ('=') before the end"));
            }
            return malformed(QStringLiteral("contains a character outside the Base32 alphabet "
                                            "at position %1 (whitespace and separators are not "
                                            "allowed)")
                                 .arg(i));
        }
    }

    const int expectedPad = paddingFor(dataLength % 8);
    if (expectedPad < 0) {
        return malformed(
            QStringLiteral("has an impossible length (%1 data characters)").arg(dataLength));
    }
    if (padLength != 0 && padLength != expectedPad) {
        return malformed(QStringLiteral("has %1 padding characters where %2 are required")
                             .arg(padLength)
                             .arg(expectedPad));
    }

    QByteArray out;
    out.reserve(dataLength * 5 / 8);
    quint32 buffer = 0;
    int bits = 0;
    for (qsizetype i = 0; i < dataLength; ++i) {
        buffer = (buffer << 5) | static_cast<quint32>(base32Value(text[i]));
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out.append(static_cast<char>((buffer >> bits) & 0xff));
        }
    }
    // Lenient decoders drop these bits, so "MY" and "MZ" would both mean "f";
    // only the spelling with zero bits is accepted.
    if ((buffer & ((1u << bits) - 1)) != 0) {
        return malformed(QStringLiteral("is not canonical (unused bits at the end are not zero)"));
    }
    return out;
}

} // namespace countersign
