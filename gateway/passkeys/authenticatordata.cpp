#include "authenticatordata.h"

namespace countersign::gateway {

namespace {

constexpr int maxCborDepth = 16;

// Reads one item at data[*offset], moving *offset past it.
bool skipCborItem(QByteArrayView data, qsizetype *offset, int depth)
{
    if (depth > maxCborDepth || *offset >= data.size())
        return false;
    const auto initial = static_cast<quint8>(data[*offset]);
    ++*offset;
    const int major = initial >> 5;
    const int info = initial & 0x1f;
    quint64 argument = 0;
    if (info < 24) {
        argument = quint64(info);
    } else if (info <= 27) {
        const qsizetype bytes = qsizetype(1) << (info - 24); // 1, 2, 4 or 8
        if (data.size() - *offset < bytes)
            return false;
        for (qsizetype i = 0; i < bytes; ++i)
            argument = (argument << 8) | static_cast<quint8>(data[*offset + i]);
        *offset += bytes;
    } else {
        return false; // reserved, or an indefinite length (31)
    }
    const auto remaining = static_cast<quint64>(data.size() - *offset);
    switch (major) {
    case 0: // unsigned integer
    case 1: // negative integer
    case 7: // simple value or float: the argument was all of it
        return true;
    case 2: // byte string
    case 3: // text string
        if (argument > remaining)
            return false;
        *offset += static_cast<qsizetype>(argument);
        return true;
    case 4: // array: each item takes at least one byte
    case 5: // map: each entry at least two
    {
        const quint64 items = major == 4 ? argument : argument * 2;
        if (argument > remaining || items > remaining)
            return false;
        for (quint64 i = 0; i < items; ++i) {
            if (!skipCborItem(data, offset, depth + 1))
                return false;
        }
        return true;
    }
    case 6: // tag: one item follows
        return skipCborItem(data, offset, depth + 1);
    default:
        return false;
    }
}

Error layoutError(const QString &why)
{
    return makeError(ErrorCode::InvalidField, QStringLiteral("the authenticator data ") + why);
}

} // namespace

std::optional<qsizetype> boundedCborItemSize(QByteArrayView data)
{
    qsizetype offset = 0;
    if (!skipCborItem(data, &offset, 0))
        return std::nullopt;
    return offset;
}

Status checkAuthenticatorDataLayout(QByteArrayView raw, const AuthenticatorDataHead &head)
{
    qsizetype offset = AuthenticatorDataHead::size;
    if (raw.size() < offset)
        return layoutError(QStringLiteral("is too short"));
    if (head.attestedCredential) {
        constexpr qsizetype aaguidBytes = 16;
        if (raw.size() - offset < aaguidBytes + 2)
            return layoutError(QStringLiteral("has a truncated attested credential"));
        offset += aaguidBytes;
        const qsizetype idLength = (qsizetype(static_cast<quint8>(raw[offset])) << 8)
            | static_cast<quint8>(raw[offset + 1]);
        offset += 2;
        if (raw.size() - offset < idLength)
            return layoutError(QStringLiteral("has a truncated credential id"));
        offset += idLength;
        const auto key = boundedCborItemSize(raw.sliced(offset));
        if (!key)
            return layoutError(QStringLiteral("has a malformed credential public key (CBOR)"));
        offset += *key;
    }
    if (head.extensions) {
        const auto extensions = boundedCborItemSize(raw.sliced(offset));
        if (!extensions)
            return layoutError(QStringLiteral("has malformed extensions (CBOR)"));
        offset += *extensions;
    }
    if (offset != raw.size())
        return layoutError(QStringLiteral("has bytes after what its flags announce"));
    return Ok{};
}

std::optional<AuthenticatorDataHead> AuthenticatorDataHead::parse(QByteArrayView raw)
{
    if (raw.size() < size)
        return std::nullopt;
    AuthenticatorDataHead head;
    head.rpIdHash = raw.first(32).toByteArray();
    const auto flags = static_cast<quint8>(raw[32]);
    head.userPresent = (flags & 0x01) != 0;
    head.userVerified = (flags & 0x04) != 0;
    head.backupEligible = (flags & 0x08) != 0;
    head.backedUp = (flags & 0x10) != 0;
    head.attestedCredential = (flags & 0x40) != 0;
    head.extensions = (flags & 0x80) != 0;
    for (int i = 33; i < 37; ++i)
        head.signCount = (head.signCount << 8) | static_cast<quint8>(raw[i]);
    return head;
}

} // namespace countersign::gateway
