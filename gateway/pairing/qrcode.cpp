#include "qrcode.h"

#include <cerrno>
#include <cstring>
#include <memory>
#include <png.h>
#include <sys/stat.h>
#include <unistd.h>

#include <QFile>
#include <qrencode.h>

namespace countersign::gateway {

namespace {

struct QrcodeFree {
    void operator()(QRcode *code) const { QRcode_free(code); }
};

struct PngImageFree {
    void operator()(png_image *image) const { png_image_free(image); }
};

QString systemError(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

// The PNG of `totp enroll` holds the TOTP seed and the one of `pair` a
// pairing code, so the file is the owner's alone whatever the umask:
// mkstemp creates the temporary file 0600 with O_CREAT|O_EXCL (fchmod makes
// sure of it), and rename() puts it in place whole. rename() replaces a
// symbolic link rather than writing through it, but a link (or any other
// non-regular file) at the path is refused anyway: someone may have planted
// it to learn the secret or to make us clobber another file.
Status writePrivateFile(const QString &path, const QByteArray &bytes)
{
    const QByteArray target = QFile::encodeName(path);
    struct stat existing {};
    if (::lstat(target.constData(), &existing) == 0) {
        if (!S_ISREG(existing.st_mode)) {
            return makeError(ErrorCode::StorageFailure,
                             QStringLiteral("refusing to write %1: it is a symbolic link or not a "
                                            "regular file; remove it or choose another path")
                                 .arg(path));
        }
    } else if (errno != ENOENT) {
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("cannot write %1: %2").arg(path, systemError(errno)));
    }

    QByteArray temporary = target + ".XXXXXX";
    const int fd = ::mkstemp(temporary.data());
    if (fd < 0) {
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("cannot write %1: %2").arg(path, systemError(errno)));
    }
    const auto fail = [&](int error) {
        ::close(fd);
        ::unlink(temporary.constData());
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("cannot write %1: %2").arg(path, systemError(error)));
    };
    if (::fchmod(fd, S_IRUSR | S_IWUSR) != 0) {
        return fail(errno);
    }
    qsizetype written = 0;
    while (written < bytes.size()) {
        const ssize_t n =
            ::write(fd, bytes.constData() + written, static_cast<size_t>(bytes.size() - written));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return fail(n < 0 ? errno : EIO);
        }
        written += n;
    }
    if (::fsync(fd) != 0) {
        return fail(errno);
    }
    if (::close(fd) != 0) {
        const int error = errno;
        ::unlink(temporary.constData());
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("cannot write %1: %2").arg(path, systemError(error)));
    }
    if (::rename(temporary.constData(), target.constData()) != 0) {
        const int error = errno;
        ::unlink(temporary.constData());
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("cannot write %1: %2").arg(path, systemError(error)));
    }
    return Ok{};
}

} // namespace

Result<QrCode> QrCode::encode(const QByteArray &text)
{
    if (text.isEmpty()) {
        return makeError(ErrorCode::InvalidField, QStringLiteral("no text to put in a QR code"));
    }
    if (text.size() > maxTextBytes) {
        return makeError(ErrorCode::InputTooLarge,
                         QStringLiteral("text of %1 bytes is too long for a QR code (at most %2)")
                             .arg(text.size())
                             .arg(maxTextBytes));
    }
    // 8-bit mode takes the bytes as they are (the link is ASCII anyway) and
    // version 0 lets libqrencode pick the smallest version that fits.
    errno = 0;
    const std::unique_ptr<QRcode, QrcodeFree> code(QRcode_encodeData(
        static_cast<int>(text.size()), reinterpret_cast<const unsigned char *>(text.constData()), 0,
        QR_ECLEVEL_M));
    if (!code) {
        const int error = errno;
        return makeError(error == ERANGE ? ErrorCode::InputTooLarge : ErrorCode::InvalidField,
                         QStringLiteral("libqrencode could not encode the text: %1")
                             .arg(QString::fromLocal8Bit(std::strerror(error))));
    }
    QrCode result;
    result.m_size = code->width;
    const qsizetype count = qsizetype(code->width) * code->width;
    result.m_modules.resize(count);
    for (qsizetype i = 0; i < count; ++i) {
        // Bit 0 of each byte is the module colour; the other bits describe
        // which function pattern it belongs to.
        result.m_modules[i] = static_cast<char>(code->data[i] & 1);
    }
    return result;
}

int QrCode::size() const
{
    return m_size;
}

bool QrCode::isDark(int x, int y) const
{
    if (x < 0 || y < 0 || x >= m_size || y >= m_size) {
        return false;
    }
    return m_modules.at(qsizetype(y) * m_size + x) != 0;
}

QString QrCode::toTerminalText(int quietZone) const
{
    quietZone = qBound(0, quietZone, maxQuietZone);
    const int side = m_size + 2 * quietZone;
    // Light modules (quiet zone included) are ink, dark modules are blank;
    // rows past the bottom edge are blank so they add no stray light line.
    const auto ink = [&](int column, int row) {
        return row < side && !isDark(column - quietZone, row - quietZone);
    };
    QString text;
    text.reserve(qsizetype(side + 1) * ((side + 1) / 2));
    for (int row = 0; row < side; row += 2) {
        for (int column = 0; column < side; ++column) {
            const bool upper = ink(column, row);
            const bool lower = ink(column, row + 1);
            if (upper && lower) {
                text += QChar(0x2588); // FULL BLOCK
            } else if (upper) {
                text += QChar(0x2580); // UPPER HALF BLOCK
            } else if (lower) {
                text += QChar(0x2584); // LOWER HALF BLOCK
            } else {
                text += u' ';
            }
        }
        text += u'\n';
    }
    return text;
}

Status QrCode::writePng(const QString &path, int scale, int quietZone) const
{
    if (scale < 1 || scale > maxPngScale || quietZone < 0 || quietZone > maxQuietZone) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("PNG scale must be 1 to %1 and quiet zone 0 to %2")
                             .arg(maxPngScale)
                             .arg(maxQuietZone));
    }
    const int side = (m_size + 2 * quietZone) * scale;
    QByteArray pixels(qsizetype(side) * side, '\xff');
    for (int y = 0; y < m_size; ++y) {
        for (int x = 0; x < m_size; ++x) {
            if (!isDark(x, y)) {
                continue;
            }
            for (int dy = 0; dy < scale; ++dy) {
                const qsizetype row = qsizetype((quietZone + y) * scale + dy) * side;
                std::memset(pixels.data() + row + (quietZone + x) * scale, 0,
                            static_cast<size_t>(scale));
            }
        }
    }

    // The simplified API reports errors in image.message instead of through
    // longjmp, and writing to memory lets the file appear whole or not at
    // all.
    png_image image;
    std::memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = static_cast<png_uint_32>(side);
    image.height = static_cast<png_uint_32>(side);
    image.format = PNG_FORMAT_GRAY;
    const std::unique_ptr<png_image, PngImageFree> cleanup(&image);
    png_alloc_size_t bytes = 0;
    if (!png_image_write_to_memory(&image, nullptr, &bytes, 0, pixels.constData(), 0, nullptr)
        || bytes == 0) {
        return makeError(
            ErrorCode::StorageFailure,
            QStringLiteral("cannot encode the PNG: %1").arg(QString::fromLocal8Bit(image.message)));
    }
    QByteArray png(static_cast<qsizetype>(bytes), Qt::Uninitialized);
    if (!png_image_write_to_memory(&image, png.data(), &bytes, 0, pixels.constData(), 0, nullptr)) {
        return makeError(
            ErrorCode::StorageFailure,
            QStringLiteral("cannot encode the PNG: %1").arg(QString::fromLocal8Bit(image.message)));
    }
    png.truncate(static_cast<qsizetype>(bytes));

    return writePrivateFile(path, png);
}

} // namespace countersign::gateway
