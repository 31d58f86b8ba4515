#include "secretbox.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

#include <QFile>
#include <QFileInfo>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace countersign::gateway {

namespace {

constexpr char FormatVersion = '\x01';
constexpr int NonceSize = 12;
constexpr int TagSize = 16;
constexpr qsizetype Overhead = 1 + NonceSize + TagSize;
// Seeds are tens of bytes; anything near int range is a bug, not a secret.
constexpr qsizetype MaxPlaintext = 1 << 20;

struct CipherCtxDeleter {
    void operator()(EVP_CIPHER_CTX *ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

const unsigned char *bytes(const QByteArray &data)
{
    return reinterpret_cast<const unsigned char *>(data.constData());
}

unsigned char *bytes(QByteArray &data)
{
    return reinterpret_cast<unsigned char *>(data.data());
}

Error cryptoError(const QString &what)
{
    return makeError(ErrorCode::CryptoFailure, QStringLiteral("secret box: %1").arg(what));
}

Error keyFileError(const QString &path, const QString &problem)
{
    return makeError(ErrorCode::StorageFailure,
                     QStringLiteral("secrets key %1: %2").arg(path, problem));
}

QString systemError()
{
    return QString::fromLocal8Bit(std::strerror(errno));
}

// Closes a POSIX descriptor on every return path.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd)
        : m_fd(fd)
    {
    }
    FileDescriptor(const FileDescriptor &) = delete;
    FileDescriptor &operator=(const FileDescriptor &) = delete;
    ~FileDescriptor()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    int get() const { return m_fd; }

private:
    int m_fd;
};

bool writeAll(int fd, const QByteArray &data)
{
    qsizetype written = 0;
    while (written < data.size()) {
        const ssize_t n =
            ::write(fd, data.constData() + written, static_cast<size_t>(data.size() - written));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        written += n;
    }
    return true;
}

// Reads the whole key file through a descriptor whose metadata we checked,
// so the checks and the read are about the same file.
Result<QByteArray> readKeyFile(const QString &path)
{
    const QByteArray nativePath = QFile::encodeName(path);
    const FileDescriptor fd(::open(nativePath.constData(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (fd.get() < 0)
        return keyFileError(path, QStringLiteral("cannot open: %1").arg(systemError()));
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0)
        return keyFileError(path, QStringLiteral("cannot stat: %1").arg(systemError()));
    if (!S_ISREG(info.st_mode))
        return keyFileError(path, QStringLiteral("is not a regular file"));
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        return keyFileError(path,
                            QStringLiteral("is accessible by group or others (mode %1); "
                                           "run chmod 600 on it or remove it")
                                .arg(info.st_mode & 0777, 4, 8, QLatin1Char('0')));
    }
    if (info.st_uid != ::geteuid())
        return keyFileError(path, QStringLiteral("is owned by another user"));
    if (info.st_size != SecretBox::KeySize) {
        return keyFileError(
            path,
            QStringLiteral("has %1 bytes, expected %2").arg(info.st_size).arg(SecretBox::KeySize));
    }
    QByteArray key(SecretBox::KeySize, Qt::Uninitialized);
    qsizetype got = 0;
    while (got < key.size()) {
        const ssize_t n = ::read(fd.get(), key.data() + got, static_cast<size_t>(key.size() - got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            OPENSSL_cleanse(key.data(), static_cast<size_t>(key.size()));
            return keyFileError(path, QStringLiteral("short read"));
        }
        got += n;
    }
    return key;
}

// Writes a new key into a private temporary file and links it into place.
// link() fails if the target exists, so two processes starting together
// cannot overwrite each other's key, and nobody ever sees a half-written file.
Result<bool> createKeyFile(const QString &path)
{
    QByteArray key(SecretBox::KeySize, Qt::Uninitialized);
    if (RAND_bytes(bytes(key), static_cast<int>(key.size())) != 1)
        return cryptoError(QStringLiteral("RAND_bytes failed"));

    QByteArray tempPath = QFile::encodeName(path) + ".XXXXXX";
    const FileDescriptor fd(::mkostemp(tempPath.data(), O_CLOEXEC)); // mkstemp uses mode 0600
    if (fd.get() < 0) {
        OPENSSL_cleanse(key.data(), static_cast<size_t>(key.size()));
        return keyFileError(path, QStringLiteral("cannot create: %1").arg(systemError()));
    }
    const bool written = ::fchmod(fd.get(), S_IRUSR | S_IWUSR) == 0 && writeAll(fd.get(), key)
        && ::fsync(fd.get()) == 0;
    OPENSSL_cleanse(key.data(), static_cast<size_t>(key.size()));
    if (!written) {
        const QString reason = systemError();
        ::unlink(tempPath.constData());
        return keyFileError(path, QStringLiteral("cannot write: %1").arg(reason));
    }
    const int linked = ::link(tempPath.constData(), QFile::encodeName(path).constData());
    const int linkErrno = errno;
    ::unlink(tempPath.constData());
    if (linked != 0 && linkErrno != EEXIST) {
        errno = linkErrno;
        return keyFileError(path, QStringLiteral("cannot create: %1").arg(systemError()));
    }
    // false: another process created the key first; use theirs.
    return linked == 0;
}

} // namespace

SecretBox::SecretBox(QByteArray key)
    : m_key(std::move(key))
{
}

SecretBox::SecretBox(SecretBox &&other) noexcept
    : m_key(std::move(other.m_key))
{
}

SecretBox &SecretBox::operator=(SecretBox &&other) noexcept
{
    if (this != &other) {
        wipe();
        m_key = std::move(other.m_key);
    }
    return *this;
}

SecretBox::~SecretBox()
{
    wipe();
}

void SecretBox::wipe()
{
    // Only our own copy: m_key is never shared (the class is move-only and
    // the constructors take a detached copy).
    if (!m_key.isEmpty())
        OPENSSL_cleanse(m_key.data(), static_cast<size_t>(m_key.size()));
    m_key.clear();
}

Result<SecretBox> SecretBox::loadOrCreate(const QString &keyPath)
{
    if (!QFileInfo::exists(keyPath) && !QFileInfo(keyPath).isSymLink()) {
        const auto created = createKeyFile(keyPath);
        if (!created)
            return created.error();
    }
    auto key = readKeyFile(keyPath);
    if (!key)
        return key.error();
    return SecretBox(std::move(key).value());
}

Result<SecretBox> SecretBox::fromKey(const QByteArray &key)
{
    if (key.size() != KeySize)
        return cryptoError(QStringLiteral("key must be %1 bytes").arg(KeySize));
    // A deep copy, so wiping ours cannot touch the caller's buffer.
    return SecretBox(QByteArray(key.constData(), key.size()));
}

Result<QByteArray> SecretBox::seal(const QByteArray &plaintext,
                                   const QByteArray &associatedData) const
{
    if (plaintext.size() > MaxPlaintext || associatedData.size() > MaxPlaintext)
        return makeError(ErrorCode::InputTooLarge, QStringLiteral("secret box: input too large"));

    QByteArray sealed(Overhead + plaintext.size(), Qt::Uninitialized);
    sealed[0] = FormatVersion;
    unsigned char *nonce = bytes(sealed) + 1;
    unsigned char *ciphertext = nonce + NonceSize;
    unsigned char *tag = ciphertext + plaintext.size();
    if (RAND_bytes(nonce, NonceSize) != 1)
        return cryptoError(QStringLiteral("RAND_bytes failed"));

    const CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    int length = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1
        || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, NonceSize, nullptr) != 1
        || EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytes(m_key), nonce) != 1
        || EVP_EncryptUpdate(ctx.get(), nullptr, &length, bytes(associatedData),
                             static_cast<int>(associatedData.size()))
            != 1
        || EVP_EncryptUpdate(ctx.get(), ciphertext, &length, bytes(plaintext),
                             static_cast<int>(plaintext.size()))
            != 1
        || EVP_EncryptFinal_ex(ctx.get(), ciphertext + length, &length) != 1
        || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, TagSize, tag) != 1) {
        return cryptoError(QStringLiteral("encryption failed"));
    }
    return sealed;
}

Result<QByteArray> SecretBox::open(const QByteArray &sealed, const QByteArray &associatedData) const
{
    if (sealed.size() < Overhead || sealed.size() > Overhead + MaxPlaintext
        || associatedData.size() > MaxPlaintext) {
        return cryptoError(QStringLiteral("sealed value has the wrong size"));
    }
    if (sealed[0] != FormatVersion)
        return cryptoError(QStringLiteral("unknown sealed format"));

    const unsigned char *nonce = bytes(sealed) + 1;
    const unsigned char *ciphertext = nonce + NonceSize;
    const int ciphertextSize = static_cast<int>(sealed.size() - Overhead);
    // EVP_CTRL_GCM_SET_TAG takes a non-const pointer but only reads it.
    QByteArray tag = sealed.right(TagSize);

    QByteArray plaintext(ciphertextSize, Qt::Uninitialized);
    const CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    int length = 0;
    int finalLength = 0;
    const bool ok = ctx
        && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1
        && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, NonceSize, nullptr) == 1
        && EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytes(m_key), nonce) == 1
        && EVP_DecryptUpdate(ctx.get(), nullptr, &length, bytes(associatedData),
                             static_cast<int>(associatedData.size()))
            == 1
        && EVP_DecryptUpdate(ctx.get(), bytes(plaintext), &length, ciphertext, ciphertextSize) == 1
        && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, TagSize, bytes(tag)) == 1
        && EVP_DecryptFinal_ex(ctx.get(), bytes(plaintext) + length, &finalLength) == 1;
    if (!ok) {
        // Never hand back unauthenticated plaintext, not even in memory.
        OPENSSL_cleanse(plaintext.data(), static_cast<size_t>(plaintext.size()));
        return cryptoError(QStringLiteral("sealed value failed authentication"));
    }
    return plaintext;
}

} // namespace countersign::gateway
