#include "gateway/cli/commandcontext.h"
#include "gateway/pairing/qrcode.h"
#include "gateway/store/auditrecord.h"
#include "gateway/store/sqlitestore.h"
#include "protocol/otp/otpauthuri.h"
#include "protocol/otp/totp.h"

#include <QDateTime>

namespace countersign::gateway {

int runTotp(const QStringList &arguments)
{
    CommandContext context(QStringLiteral("countersign-gateway totp"),
                           QStringLiteral("Enrol a user's phone authenticator app:\n"
                                          "  totp enroll --user USER [--png FILE]\n"
                                          "The seed stays on the gateway; the link and QR code "
                                          "are shown once, for the phone."));
    context.addUserOption();
    context.addPngOption();
    context.parser().addPositionalArgument(QStringLiteral("action"), QStringLiteral("enroll"));
    if (!context.parse(arguments))
        return context.exitCode();
    if (context.parser().positionalArguments() != QStringList{QStringLiteral("enroll")})
        return context.usage(QStringLiteral("say 'totp enroll --user USER'"));
    auto config = context.loadConfig();
    if (!config)
        return context.exitCode();
    const auto found = context.requireKnownUser(*config);
    if (!found)
        return context.exitCode();
    const QString userId = *found;

    auto store = SqliteStore::open(context.dataDir());
    if (!store)
        return context.fail(store.error().message);
    const auto secret = OtpSecret::generate();
    const auto totp = secret ? Totp::create(secret.value()) : Result<Totp>(secret.error());
    if (!totp)
        return context.fail(totp.error().message);
    const auto uri = OtpauthUri::forTotp(totp.value(), config->name, userId);
    if (!uri)
        return context.fail(uri.error().message);

    TotpEnrollment enrollment;
    enrollment.userId = userId;
    enrollment.secret = secret->bytes();
    enrollment.algorithm = otpAlgorithmName(OtpAlgorithm::Sha1);
    enrollment.digits = totp->hotp().digits();
    enrollment.period = static_cast<int>(totp->period());
    enrollment.createdAt = QDateTime::currentSecsSinceEpoch();
    if (auto stored = (*store)->setTotpEnrollment(enrollment); !stored)
        return context.fail(stored.error().message);
    AuditEvent event;
    event.at = enrollment.createdAt;
    event.kind = QStringLiteral("totp.enrolled");
    event.userId = userId;
    recordAudit(**store, event);

    const auto qr = QrCode::encode(uri->toString().toUtf8());
    if (!qr)
        return context.fail(qr.error().message);
    QTextStream &out = context.out();
    out << "Scan this with " << userId << "'s authenticator app (any TOTP app: SHA1, 6 digits, "
        << "30 s). It replaces any earlier enrolment.\n\n"
        << qr->toTerminalText() << '\n'
        << uri->toString() << "\n\n"
        << "This link holds the secret: do not keep it anywhere once the phone has it.\n";
    if (!context.writePngIfAsked(qr.value()))
        return context.exitCode();
    out.flush();
    return CommandContext::Success;
}

} // namespace countersign::gateway
