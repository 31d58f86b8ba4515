#include "requeststate.h"

#include "gateway/keys/privatefile.h"
#include "protocol/base64url.h"
#include "protocol/canonicaljson.h"
#include "protocol/randombytes.h"
#include "protocol/strictjson.h"

#include <array>
#include <limits>
#include <mutex>
#include <optional>

#include <QCryptographicHash>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QtEndian>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace countersign::gateway {

namespace {

constexpr char FormatVersion = '\x01';
constexpr qsizetype KeyIdSize = 8;
constexpr qsizetype KeySize = 32;
constexpr int NonceSize = 12;
constexpr int TagSize = 16;
constexpr qsizetype HeaderSize = 1 + KeyIdSize;
constexpr qsizetype Overhead = HeaderSize + NonceSize + TagSize;
// Domain separation: these bytes (and the header) are authenticated with
// every state, so nothing sealed for another purpose under a key that was
// somehow shared could pass for a request state.
constexpr QByteArrayView AssociatedLabel{"countersign request state v1|"};
// The key file is a few hundred bytes; a larger one is not ours.
constexpr qint64 MaxKeyFileSize = 4096;
constexpr int KeyFileFormat = 1;

using KeyBytes = std::array<unsigned char, KeySize>;

// Wipes its secret when it goes, so no copy outlives its use in memory.
struct Key {
    QByteArray id; // KeyIdSize random bytes; public, travels in clear
    KeyBytes secret{};
    qint64 createdAt = 0;

    Key() = default;
    Key(const Key &) = default;
    Key &operator=(const Key &) = default;
    ~Key() { OPENSSL_cleanse(secret.data(), secret.size()); }
};

// One generation of keys. Immutable once built; a rotation builds a new one.
struct KeySet {
    Key current;
    std::optional<Key> previous;

    const Key *find(QByteArrayView id) const
    {
        if (current.id == id)
            return &current;
        if (previous && previous->id == id)
            return &*previous;
        return nullptr;
    }
};

Key freshKey(qint64 now)
{
    Key key;
    key.id = randomBytes(KeyIdSize);
    QByteArray secret = randomBytes(KeySize);
    std::copy(secret.cbegin(), secret.cend(), key.secret.begin());
    OPENSSL_cleanse(secret.data(), static_cast<size_t>(secret.size()));
    key.createdAt = now;
    return key;
}

bool rotationDue(const KeySet &keys, qint64 now)
{
    return now - keys.current.createdAt >= RequestStateSealer::RotationPeriod.count();
}

std::shared_ptr<const KeySet> rotated(const KeySet &keys, qint64 now)
{
    auto next = std::make_shared<KeySet>();
    next->current = freshKey(now);
    next->previous = keys.current;
    return next;
}

// AES-256-GCM, fetched once: an implicit fetch on every call would look the
// algorithm up in OpenSSL's provider tables each time.
const EVP_CIPHER *aes256Gcm()
{
    static EVP_CIPHER *const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    return cipher;
}

struct CipherCtxDeleter {
    void operator()(EVP_CIPHER_CTX *ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

const unsigned char *bytes(QByteArrayView data)
{
    return reinterpret_cast<const unsigned char *>(data.data());
}

unsigned char *bytes(QByteArray &data)
{
    return reinterpret_cast<unsigned char *>(data.data());
}

QByteArray associatedData(QByteArrayView header)
{
    return AssociatedLabel.toByteArray() + header.toByteArray();
}

// --- The plaintext: length-prefixed fields, big-endian, nothing optional.

void putField(QByteArray &out, const QByteArray &field)
{
    const auto size = qToBigEndian(static_cast<quint16>(field.size()));
    out.append(reinterpret_cast<const char *>(&size), sizeof size);
    out.append(field);
}

class FieldReader {
public:
    explicit FieldReader(QByteArrayView data)
        : m_data(data)
    {
    }

    std::optional<QByteArray> field(qsizetype maxSize)
    {
        if (m_data.size() < 2)
            return std::nullopt;
        const auto size = qFromBigEndian<quint16>(m_data.data());
        if (size > maxSize || m_data.size() < 2 + size)
            return std::nullopt;
        QByteArray value = m_data.sliced(2, size).toByteArray();
        m_data = m_data.sliced(2 + size);
        return value;
    }

    std::optional<qint64> int64()
    {
        if (m_data.size() < 8)
            return std::nullopt;
        const auto value = qFromBigEndian<qint64>(m_data.data());
        m_data = m_data.sliced(8);
        return value;
    }

    bool atEnd() const { return m_data.isEmpty(); }

private:
    QByteArrayView m_data;
};

bool fitsField(const QByteArray &utf8)
{
    return utf8.size() <= RequestStateSealer::MaxFieldBytes;
}

std::optional<QByteArray> encodePlaintext(const RequestState &state)
{
    const QByteArray fields[] = {state.approvalId.toUtf8(), state.agent.toUtf8(),
                                 state.user.toUtf8(), state.method.toUtf8()};
    for (const QByteArray &field : fields) {
        if (!fitsField(field))
            return std::nullopt;
    }
    if (state.callDigest.size() > RequestStateSealer::MaxDigestBytes)
        return std::nullopt;
    QByteArray out;
    for (const QByteArray &field : fields)
        putField(out, field);
    putField(out, state.callDigest);
    const auto expiresAt = qToBigEndian(state.expiresAt);
    out.append(reinterpret_cast<const char *>(&expiresAt), sizeof expiresAt);
    return out;
}

std::optional<RequestState> decodePlaintext(QByteArrayView plaintext)
{
    FieldReader reader(plaintext);
    std::optional<QByteArray> text[4];
    for (auto &field : text) {
        field = reader.field(RequestStateSealer::MaxFieldBytes);
        if (!field)
            return std::nullopt;
    }
    const auto digest = reader.field(RequestStateSealer::MaxDigestBytes);
    const auto expiresAt = reader.int64();
    if (!digest || !expiresAt || !reader.atEnd())
        return std::nullopt;
    RequestState state;
    state.approvalId = QString::fromUtf8(*text[0]);
    state.agent = QString::fromUtf8(*text[1]);
    state.user = QString::fromUtf8(*text[2]);
    state.method = QString::fromUtf8(*text[3]);
    state.callDigest = *digest;
    state.expiresAt = *expiresAt;
    return state;
}

// --- AES-256-GCM

std::optional<QByteArray> encrypt(const Key &key, const QByteArray &plaintext)
{
    QByteArray sealed(Overhead + plaintext.size(), Qt::Uninitialized);
    sealed[0] = FormatVersion;
    std::copy(key.id.cbegin(), key.id.cend(), sealed.begin() + 1);
    const QByteArray nonce = randomBytes(NonceSize);
    std::copy(nonce.cbegin(), nonce.cend(), sealed.begin() + HeaderSize);
    unsigned char *ciphertext = bytes(sealed) + HeaderSize + NonceSize;
    unsigned char *tag = ciphertext + plaintext.size();
    const QByteArray aad = associatedData(QByteArrayView(sealed).first(HeaderSize));

    const CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    int length = 0;
    int finalLength = 0;
    const bool ok = ctx && aes256Gcm()
        && EVP_EncryptInit_ex2(ctx.get(), aes256Gcm(), key.secret.data(), bytes(nonce), nullptr)
            == 1
        && EVP_EncryptUpdate(ctx.get(), nullptr, &length, bytes(aad), static_cast<int>(aad.size()))
            == 1
        && EVP_EncryptUpdate(ctx.get(), ciphertext, &length, bytes(plaintext),
                             static_cast<int>(plaintext.size()))
            == 1
        && EVP_EncryptFinal_ex(ctx.get(), ciphertext + length, &finalLength) == 1
        && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, TagSize, tag) == 1;
    if (!ok)
        return std::nullopt;
    return sealed;
}

std::optional<QByteArray> decrypt(const Key &key, QByteArrayView sealed)
{
    const QByteArrayView nonce = sealed.sliced(HeaderSize, NonceSize);
    const QByteArrayView ciphertext =
        sealed.sliced(HeaderSize + NonceSize, sealed.size() - Overhead);
    // EVP_CTRL_GCM_SET_TAG takes a non-const pointer but only reads it.
    QByteArray tag = sealed.last(TagSize).toByteArray();
    const QByteArray aad = associatedData(sealed.first(HeaderSize));

    QByteArray plaintext(ciphertext.size(), Qt::Uninitialized);
    const CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    int length = 0;
    int finalLength = 0;
    const bool ok = ctx && aes256Gcm()
        && EVP_DecryptInit_ex2(ctx.get(), aes256Gcm(), key.secret.data(), bytes(nonce), nullptr)
            == 1
        && EVP_DecryptUpdate(ctx.get(), nullptr, &length, bytes(aad), static_cast<int>(aad.size()))
            == 1
        && EVP_DecryptUpdate(ctx.get(), bytes(plaintext), &length, bytes(ciphertext),
                             static_cast<int>(ciphertext.size()))
            == 1
        && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, TagSize, bytes(tag)) == 1
        && EVP_DecryptFinal_ex(ctx.get(), bytes(plaintext) + length, &finalLength) == 1;
    if (!ok) {
        // Never hand back unauthenticated plaintext, not even in memory.
        OPENSSL_cleanse(plaintext.data(), static_cast<size_t>(plaintext.size()));
        return std::nullopt;
    }
    return plaintext;
}

// --- The key file: {"format":1,"keys":[current, previous?]}, each key
// {"id": base64url, "created": Unix seconds, "key": base64url}.

Error keyFileError(const QString &path, const QString &problem)
{
    return makeError(ErrorCode::StorageFailure,
                     QStringLiteral("request state keys %1: %2. Remove the file to start with a "
                                    "new key (pending step-ups must then be asked again).")
                         .arg(path, problem));
}

QJsonObject keyToJson(const Key &key)
{
    return QJsonObject{
        {QStringLiteral("id"), QString::fromLatin1(base64UrlEncode(key.id))},
        {QStringLiteral("created"), key.createdAt},
        {QStringLiteral("key"),
         QString::fromLatin1(base64UrlEncode(QByteArrayView(
             reinterpret_cast<const char *>(key.secret.data()), qsizetype(key.secret.size()))))},
    };
}

std::optional<Key> keyFromJson(const QJsonValue &value)
{
    const QJsonObject object = value.toObject();
    if (object.size() != 3 || !object.value(QStringLiteral("created")).isDouble())
        return std::nullopt;
    const auto id = base64UrlDecode(object.value(QStringLiteral("id")).toString().toLatin1());
    auto secret = base64UrlDecode(object.value(QStringLiteral("key")).toString().toLatin1());
    if (!id || id->size() != KeyIdSize || !secret || secret->size() != KeySize)
        return std::nullopt;
    Key key;
    key.id = id.value();
    std::copy(secret->cbegin(), secret->cend(), key.secret.begin());
    OPENSSL_cleanse(secret.value().data(), static_cast<size_t>(secret->size()));
    key.createdAt = object.value(QStringLiteral("created")).toInteger(-1);
    if (key.createdAt < 0)
        return std::nullopt;
    return key;
}

Status writeKeyFile(const QString &path, const KeySet &keys)
{
    QJsonArray array{keyToJson(keys.current)};
    if (keys.previous)
        array.append(keyToJson(*keys.previous));
    QByteArray text = QJsonDocument(QJsonObject{{QStringLiteral("format"), KeyFileFormat},
                                                {QStringLiteral("keys"), array}})
                          .toJson(QJsonDocument::Compact);
    const Status written = writePrivateFile(path, text);
    OPENSSL_cleanse(text.data(), static_cast<size_t>(text.size()));
    return written;
}

Result<std::shared_ptr<const KeySet>> readKeyFile(const QString &path)
{
    const QFileInfo info(path);
    if (info.isSymLink() || !info.isFile())
        return keyFileError(path, QStringLiteral("is not a regular file"));
    if (info.size() > MaxKeyFileSize)
        return keyFileError(path, QStringLiteral("is too large to be a key file"));
    auto content = readPrivateFile(path); // refuses group/other access
    if (!content)
        return content.error();
    const auto parsed = parseStrictJsonObject(content.value(), QStringLiteral("key file"));
    OPENSSL_cleanse(content.value().data(), static_cast<size_t>(content->size()));
    if (!parsed)
        return keyFileError(path, parsed.error().message);
    const QJsonArray array = parsed->value(QStringLiteral("keys")).toArray();
    if (parsed->size() != 2 || parsed->value(QStringLiteral("format")).toInt() != KeyFileFormat
        || array.isEmpty() || array.size() > 2) {
        return keyFileError(path, QStringLiteral("is not a request state key file"));
    }
    auto keys = std::make_shared<KeySet>();
    const auto current = keyFromJson(array.at(0));
    if (!current)
        return keyFileError(path, QStringLiteral("holds a malformed key"));
    keys->current = *current;
    if (array.size() == 2) {
        keys->previous = keyFromJson(array.at(1));
        if (!keys->previous || keys->previous->id == keys->current.id)
            return keyFileError(path, QStringLiteral("holds a malformed key"));
    }
    return std::shared_ptr<const KeySet>(std::move(keys));
}

Error openError(ErrorCode code, const QString &why)
{
    return makeError(code, QStringLiteral("requestState %1").arg(why));
}

} // namespace

QByteArray requestStateCallDigest(const QString &toolName, const QJsonObject &arguments)
{
    const auto canonical = canonicalJson(arguments);
    if (!canonical)
        return {};
    const QByteArray name = toolName.toUtf8();
    const auto nameSize = qToBigEndian(static_cast<quint64>(name.size()));
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(QByteArrayView(reinterpret_cast<const char *>(&nameSize), sizeof nameSize));
    hash.addData(name);
    hash.addData(canonical.value());
    return hash.result();
}

// Shared by all copies of one sealer. The mutex only guards swapping the
// pointer; seal/open work on an immutable snapshot.
class RequestStateSealer::KeyRing {
public:
    KeyRing(std::shared_ptr<const KeySet> keys, QString path)
        : m_keys(std::move(keys))
        , m_path(std::move(path))
    {
    }

    std::shared_ptr<const KeySet> snapshot() const
    {
        const std::lock_guard lock(m_mutex);
        return m_keys;
    }

    Status rotateIfDue(qint64 now)
    {
        const std::lock_guard lock(m_mutex);
        if (!rotationDue(*m_keys, now))
            return Ok{};
        auto next = rotated(*m_keys, now);
        if (!m_path.isEmpty()) {
            const Status written = writeKeyFile(m_path, *next);
            if (!written)
                return written;
        }
        m_keys = std::move(next);
        return Ok{};
    }

private:
    mutable std::mutex m_mutex;
    std::shared_ptr<const KeySet> m_keys;
    const QString m_path; // empty: in memory only
};

RequestStateSealer::RequestStateSealer(std::shared_ptr<KeyRing> ring)
    : m_ring(std::move(ring))
{
}

RequestStateSealer RequestStateSealer::ephemeral()
{
    auto keys = std::make_shared<KeySet>();
    // Created "at the beginning of time" would rotate at once; an in-memory
    // key is as new as the process, so it never needs to rotate at all.
    keys->current = freshKey(std::numeric_limits<qint64>::max() / 2);
    return RequestStateSealer(std::make_shared<KeyRing>(std::move(keys), QString()));
}

Result<RequestStateSealer> RequestStateSealer::loadOrCreate(const QString &keyFilePath, qint64 now)
{
    std::shared_ptr<const KeySet> keys;
    if (!QFileInfo::exists(keyFilePath) && !QFileInfo(keyFilePath).isSymLink()) {
        auto created = std::make_shared<KeySet>();
        created->current = freshKey(now);
        const Status written = writeKeyFile(keyFilePath, *created);
        if (!written)
            return written.error();
        keys = std::move(created);
    } else {
        auto read = readKeyFile(keyFilePath);
        if (!read)
            return read.error();
        keys = std::move(read).value();
    }
    RequestStateSealer sealer(std::make_shared<KeyRing>(std::move(keys), keyFilePath));
    const Status rotation = sealer.rotateIfDue(now);
    if (!rotation)
        return rotation.error();
    return sealer;
}

Status RequestStateSealer::rotateIfDue(qint64 now) const
{
    return m_ring->rotateIfDue(now);
}

QString RequestStateSealer::currentKeyId() const
{
    return QString::fromLatin1(base64UrlEncode(m_ring->snapshot()->current.id));
}

QString RequestStateSealer::seal(const RequestState &state) const
{
    const auto plaintext = encodePlaintext(state);
    Q_ASSERT_X(plaintext, "RequestStateSealer::seal", "a field exceeds its bound");
    if (!plaintext)
        return {};
    const auto keys = m_ring->snapshot();
    const auto sealed = encrypt(keys->current, *plaintext);
    // AES-GCM with a valid key does not fail; if OpenSSL ever does, the
    // empty state is refused on the retry rather than anything guessed.
    if (!sealed)
        return {};
    return QString::fromLatin1(base64UrlEncode(*sealed));
}

Result<RequestState> RequestStateSealer::open(QStringView sealed, qint64 now) const
{
    // Bound before decoding anything, and in characters, not bytes.
    if (sealed.size() > MaxSealedLength)
        return openError(Malformed, QStringLiteral("is too long"));
    QByteArray ascii(sealed.size(), Qt::Uninitialized);
    for (qsizetype i = 0; i < sealed.size(); ++i) {
        const char16_t c = sealed[i].unicode();
        if (c > 0x7f)
            return openError(Malformed, QStringLiteral("is not base64url"));
        ascii[i] = static_cast<char>(c);
    }
    const auto raw = base64UrlDecode(ascii);
    if (!raw)
        return openError(Malformed, QStringLiteral("is not base64url"));
    if (raw->size() < Overhead)
        return openError(Malformed, QStringLiteral("is too short"));
    if (raw->at(0) != FormatVersion)
        return openError(Malformed, QStringLiteral("has an unknown format"));

    const auto keys = m_ring->snapshot();
    const Key *key = keys->find(QByteArrayView(*raw).sliced(1, KeyIdSize));
    if (!key) {
        return openError(NotIssuedHere,
                         QStringLiteral("was not issued by this gateway (unknown key)"));
    }
    const auto plaintext = decrypt(*key, *raw);
    if (!plaintext) {
        return openError(NotIssuedHere,
                         QStringLiteral("was not issued by this gateway (altered or forged)"));
    }
    auto state = decodePlaintext(*plaintext);
    if (!state)
        return openError(Malformed, QStringLiteral("has fields this gateway does not write"));
    if (now >= state->expiresAt)
        return openError(StateExpired, QStringLiteral("has expired; call the tool again"));
    if (state->expiresAt - now > MaxLifetime.count())
        return openError(Malformed, QStringLiteral("claims to live longer than states do"));
    return std::move(state).value();
}

} // namespace countersign::gateway
