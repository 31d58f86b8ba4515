#include "randombytes.h"

#include "protocol/base64url.h"

#include <openssl/rand.h>

namespace countersign {

QByteArray randomBytes(qsizetype count)
{
    QByteArray bytes(count, Qt::Uninitialized);
    if (count > 0
        && RAND_bytes(reinterpret_cast<unsigned char *>(bytes.data()), static_cast<int>(count))
            != 1) {
        qFatal("OpenSSL could not produce random bytes");
    }
    return bytes;
}

QString randomToken(qsizetype count)
{
    return QString::fromLatin1(base64UrlEncode(randomBytes(count)));
}

} // namespace countersign
