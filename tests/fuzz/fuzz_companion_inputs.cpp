// What the companion reads from outside that no protocol target covers
// (app/): the passkey context a gateway sends in `welcome` and `passkeys`
// (PasskeyContext::fromJson; a malicious gateway chooses every byte, and the
// companion hands rp id, user handle and allow-list to the security key),
// and the texts a QR scan found in a screenshot or an image
// (PairingLinkFinder::fromDecodedTexts; each line of the input is one
// decoded text). Properties: an accepted context holds what the security
// key is given within its bounds (rp id a lower-case name, 16..64-byte user
// handle, at most 10 distinct credentials with names of 1..64 characters);
// a link is picked only if one of the texts parses to it and no text
// parses to another link.
#include "app/pairinglinkfinder.h"
#include "app/passkeycontext.h"
#include "protocol/strictjson.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <QSet>

using namespace countersign;

namespace {

void require(bool condition)
{
    if (!condition)
        std::abort();
}

void checkContext(QByteArrayView bytes)
{
    const auto json = parseStrictJsonObject(bytes, QStringLiteral("passkey"));
    if (!json)
        return;
    const auto context = PasskeyContext::fromJson(json.value());
    if (!context) {
        require(!context.error().message.isEmpty());
        return;
    }
    require(!context->rpId.isEmpty() && context->rpId == context->rpId.toLower());
    require(context->userHandle.size() >= 16 && context->userHandle.size() <= 64);
    require(!context->userName.isEmpty());
    require(context->credentials.size() <= PasskeyContext::maxCredentials);
    QSet<QByteArray> ids;
    for (const PasskeyCredentialInfo &credential : context->credentials) {
        require(!credential.credentialId.isEmpty());
        require(!ids.contains(credential.credentialId));
        ids.insert(credential.credentialId);
        require(!credential.name.isEmpty() && credential.name.size() <= 64);
        require(context->hasCredential(credential.credentialId));
    }
    require(PasskeyContext::fromJson(json.value()).value() == context.value());
}

void checkQrTexts(const QString &text)
{
    const QStringList texts = text.split(u'\n');
    const auto link = PairingLinkFinder::fromDecodedTexts(texts);
    if (!link) {
        require(!link.error().message.isEmpty());
        return;
    }
    bool found = false;
    for (const QString &candidate : texts) {
        const auto parsed = PairingLink::parse(candidate);
        if (!parsed)
            continue;
        require(parsed.value() == link.value());
        found = true;
    }
    require(found);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView bytes(data, static_cast<qsizetype>(size));
    checkContext(bytes);
    checkQrTexts(QString::fromUtf8(bytes));
    return 0;
}
