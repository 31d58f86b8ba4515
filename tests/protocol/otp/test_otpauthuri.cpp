#include "protocol/otp/otpauthuri.h"

#include <QTest>

using namespace countersign;

namespace {

const QString kRfcKeyBase32 = QStringLiteral("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");

QString uriWith(const QString &parameters)
{
    return QStringLiteral("otpauth://totp/ACME:alice@example.com?") + parameters;
}

} // namespace

class TestOtpauthUri : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parsesTheKeyUriFormatExamples();
    void parsesValidVariants_data();
    void parsesValidVariants();
    void appliesDefaults();
    void readsHotpCounters();
    void ignoresUnknownParameters();
    void roundTripsGeneratedTotpUris_data();
    void roundTripsGeneratedTotpUris();
    void roundTripsGeneratedHotpUris();
    void writesTheExpectedText();
    void refusesToGenerateFromUnusableNames_data();
    void refusesToGenerateFromUnusableNames();
    void refusesToGenerateWithNonZeroT0();
    void rejectsMalformedUris_data();
    void rejectsMalformedUris();
    void enforcesTheLengthLimit();
};

void TestOtpauthUri::parsesTheKeyUriFormatExamples()
{
    // The first example's secret is 10 bytes, below RFC 4226's 128-bit
    // minimum, so it must be refused for that reason and no other.
    const auto shortKey = OtpauthUri::parse(
        u"otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example");
    QVERIFY(!shortKey.ok());
    QCOMPARE(shortKey.error().code, ErrorCode::InvalidField);
    QVERIFY2(shortKey.error().message.contains(QStringLiteral("secret")),
             qPrintable(shortKey.error().message));

    const auto acme = OtpauthUri::parse(
        u"otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ"
        u"&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30");
    QVERIFY2(acme.ok(), qPrintable(acme.ok() ? QString() : acme.error().message));
    QCOMPARE(acme->type(), OtpauthUri::Type::Totp);
    QCOMPARE(acme->issuer(), QStringLiteral("ACME Co"));
    QCOMPARE(acme->accountName(), QStringLiteral("john.doe@email.com"));
    QCOMPARE(acme->hotp().secret().toBase32(), QByteArray("HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ"));
    QCOMPARE(acme->hotp().algorithm(), OtpAlgorithm::Sha1);
    QCOMPARE(acme->hotp().digits(), 6);
    QCOMPARE(acme->period(), qint64(30));
}

void TestOtpauthUri::parsesValidVariants_data()
{
    QTest::addColumn<QString>("uri");
    QTest::addColumn<QString>("issuer");
    QTest::addColumn<QString>("account");
    QTest::addColumn<OtpAlgorithm>("algorithm");
    QTest::addColumn<int>("digits");
    QTest::addColumn<qint64>("period");

    const QString secret = QStringLiteral("secret=") + kRfcKeyBase32;
    QTest::newRow("account only") << QStringLiteral("otpauth://totp/alice?") + secret << QString()
                                  << QStringLiteral("alice") << OtpAlgorithm::Sha1 << 6
                                  << qint64(30);
    QTest::newRow("issuer from the parameter only")
        << QStringLiteral("otpauth://totp/alice?issuer=ACME&") + secret << QStringLiteral("ACME")
        << QStringLiteral("alice") << OtpAlgorithm::Sha1 << 6 << qint64(30);
    QTest::newRow("issuer from the label only")
        << QStringLiteral("otpauth://totp/ACME:alice?") + secret << QStringLiteral("ACME")
        << QStringLiteral("alice") << OtpAlgorithm::Sha1 << 6 << qint64(30);
    QTest::newRow("encoded colon and spaces after it")
        << QStringLiteral("otpauth://totp/ACME%3A%20%20alice?") + secret << QStringLiteral("ACME")
        << QStringLiteral("alice") << OtpAlgorithm::Sha1 << 6 << qint64(30);
    QTest::newRow("upper-case scheme and type")
        << QStringLiteral("OTPAUTH://TOTP/alice?") + secret << QString() << QStringLiteral("alice")
        << OtpAlgorithm::Sha1 << 6 << qint64(30);
    QTest::newRow("lower-case algorithm, 8 digits, 60 s")
        << QStringLiteral("otpauth://totp/alice?algorithm=sha256&digits=8&period=60&") + secret
        << QString() << QStringLiteral("alice") << OtpAlgorithm::Sha256 << 8 << qint64(60);
    QTest::newRow("SHA512") << QStringLiteral("otpauth://totp/alice?algorithm=SHA512&") + secret
                            << QString() << QStringLiteral("alice") << OtpAlgorithm::Sha512 << 6
                            << qint64(30);
    QTest::newRow("lower-case, padded secret")
        << QStringLiteral(
               "otpauth://totp/alice?secret=gezdgnbvgy3tqojqgezdgnbvgy%3D%3D%3D%3D%3D%3D")
        << QString() << QStringLiteral("alice") << OtpAlgorithm::Sha1 << 6 << qint64(30);
    QTest::newRow("UTF-8 names") << QStringLiteral("otpauth://totp/Caf%C3%A9%20%E2%98%95:"
                                                   "j%C3%BCrgen?issuer=Caf%C3%A9%20%E2%98%95&")
            + secret << QString::fromUtf8("Café ☕")
                                 << QString::fromUtf8("jürgen") << OtpAlgorithm::Sha1 << 6
                                 << qint64(30);
    QTest::newRow("plus is literal")
        << QStringLiteral("otpauth://totp/A+B:x?issuer=A%2BB&") + secret << QStringLiteral("A+B")
        << QStringLiteral("x") << OtpAlgorithm::Sha1 << 6 << qint64(30);
}

void TestOtpauthUri::parsesValidVariants()
{
    QFETCH(QString, uri);
    QFETCH(QString, issuer);
    QFETCH(QString, account);
    QFETCH(OtpAlgorithm, algorithm);
    QFETCH(int, digits);
    QFETCH(qint64, period);
    const auto parsed = OtpauthUri::parse(uri);
    QVERIFY2(parsed.ok(), qPrintable(parsed.ok() ? QString() : parsed.error().message));
    QCOMPARE(parsed->issuer(), issuer);
    QCOMPARE(parsed->accountName(), account);
    QCOMPARE(parsed->hotp().algorithm(), algorithm);
    QCOMPARE(parsed->hotp().digits(), digits);
    QCOMPARE(parsed->period(), period);
    QVERIFY(parsed->hotp().secret().bytes().size() >= OtpSecret::kMinimumSize);
}

void TestOtpauthUri::appliesDefaults()
{
    const auto parsed =
        OtpauthUri::parse(QString(QStringLiteral("otpauth://totp/alice?secret=") + kRfcKeyBase32));
    QVERIFY(parsed.ok());
    QCOMPARE(parsed->hotp().secret().bytes(), QByteArray("12345678901234567890"));
    QCOMPARE(parsed->hotp().algorithm(), OtpAlgorithm::Sha1);
    QCOMPARE(parsed->hotp().digits(), 6);
    const auto totp = parsed->totp();
    QVERIFY(totp.ok());
    QCOMPARE(totp->period(), qint64(30));
    // The key works: RFC 6238's T = 1 at 59 s, in 6 digits.
    QCOMPARE(totp->codeAt(59).value(), QStringLiteral("287082"));
}

void TestOtpauthUri::readsHotpCounters()
{
    const auto parsed = OtpauthUri::parse(
        QString(QStringLiteral("otpauth://hotp/alice?counter=18446744073709551615&secret=")
                + kRfcKeyBase32));
    QVERIFY2(parsed.ok(), qPrintable(parsed.ok() ? QString() : parsed.error().message));
    QCOMPARE(parsed->type(), OtpauthUri::Type::Hotp);
    QCOMPARE(parsed->counter(), std::numeric_limits<quint64>::max());
    const auto totp = parsed->totp();
    QVERIFY(!totp.ok());
    QCOMPARE(totp.error().code, ErrorCode::UnexpectedType);
}

void TestOtpauthUri::ignoresUnknownParameters()
{
    const auto parsed = OtpauthUri::parse(
        uriWith(QStringLiteral("image=https%3A%2F%2Fexample.com%2Flogo.png&secret=") + kRfcKeyBase32
                + QStringLiteral("&color=red&Secret=ignored&issuer=ACME")));
    QVERIFY2(parsed.ok(), qPrintable(parsed.ok() ? QString() : parsed.error().message));
    QCOMPARE(parsed->hotp().secret().bytes(), QByteArray("12345678901234567890"));
}

void TestOtpauthUri::roundTripsGeneratedTotpUris_data()
{
    QTest::addColumn<QString>("issuer");
    QTest::addColumn<QString>("account");
    QTest::addColumn<OtpAlgorithm>("algorithm");
    QTest::addColumn<int>("digits");
    QTest::addColumn<qint64>("period");
    QTest::newRow("plain") << QStringLiteral("Countersign") << QStringLiteral("alice@example.com")
                           << OtpAlgorithm::Sha1 << 6 << qint64(30);
    QTest::newRow("no issuer") << QString() << QStringLiteral("alice") << OtpAlgorithm::Sha256 << 8
                               << qint64(60);
    QTest::newRow("reserved characters")
        << QStringLiteral("A&B=C?D/E%F#G+H") << QStringLiteral("x y&issuer=evil")
        << OtpAlgorithm::Sha512 << 8 << qint64(1);
    QTest::newRow("unicode") << QString::fromUtf8("Ünïcødé 🔐") << QString::fromUtf8("名前")
                             << OtpAlgorithm::Sha1 << 6 << Totp::kMaximumPeriod;
}

void TestOtpauthUri::roundTripsGeneratedTotpUris()
{
    QFETCH(QString, issuer);
    QFETCH(QString, account);
    QFETCH(OtpAlgorithm, algorithm);
    QFETCH(int, digits);
    QFETCH(qint64, period);
    const auto secret = OtpSecret::generate(32);
    QVERIFY(secret.ok());
    const auto totp = Totp::create(secret.value(), algorithm, digits, period);
    QVERIFY(totp.ok());
    const auto generated = OtpauthUri::forTotp(totp.value(), issuer, account);
    QVERIFY2(generated.ok(), qPrintable(generated.ok() ? QString() : generated.error().message));
    const QString text = generated->toString();
    QVERIFY2(std::all_of(text.begin(), text.end(), [](QChar c) { return c.unicode() < 0x7f; }),
             qPrintable(text));

    const auto parsed = OtpauthUri::parse(text);
    QVERIFY2(parsed.ok(), qPrintable(parsed.ok() ? QString() : parsed.error().message));
    QCOMPARE(parsed->type(), OtpauthUri::Type::Totp);
    QCOMPARE(parsed->issuer(), issuer);
    QCOMPARE(parsed->accountName(), account);
    QCOMPARE(parsed->hotp().secret().bytes(), secret->bytes());
    QCOMPARE(parsed->hotp().algorithm(), algorithm);
    QCOMPARE(parsed->hotp().digits(), digits);
    QCOMPARE(parsed->period(), period);
    QCOMPARE(parsed->toString(), text);
}

void TestOtpauthUri::roundTripsGeneratedHotpUris()
{
    const auto secret = OtpSecret::fromBytes("12345678901234567890");
    QVERIFY(secret.ok());
    const auto hotp = Hotp::create(secret.value(), OtpAlgorithm::Sha1, 6);
    QVERIFY(hotp.ok());
    const auto generated =
        OtpauthUri::forHotp(hotp.value(), 42, QStringLiteral("ACME"), QStringLiteral("bob"));
    QVERIFY(generated.ok());
    const auto parsed = OtpauthUri::parse(generated->toString());
    QVERIFY2(parsed.ok(), qPrintable(parsed.ok() ? QString() : parsed.error().message));
    QCOMPARE(parsed->type(), OtpauthUri::Type::Hotp);
    QCOMPARE(parsed->counter(), quint64(42));
    QCOMPARE(parsed->hotp().code(42).value(), hotp->code(42).value());
}

void TestOtpauthUri::writesTheExpectedText()
{
    const auto secret = OtpSecret::fromBytes("12345678901234567890");
    QVERIFY(secret.ok());
    const auto totp = Totp::create(secret.value());
    QVERIFY(totp.ok());
    const auto uri = OtpauthUri::forTotp(totp.value(), QStringLiteral("ACME Co"),
                                         QStringLiteral("john.doe@email.com"));
    QVERIFY(uri.ok());
    QCOMPARE(uri->toString(),
             QStringLiteral("otpauth://totp/ACME%20Co:john.doe@email.com?secret=") + kRfcKeyBase32
                 + QStringLiteral("&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"));
}

void TestOtpauthUri::refusesToGenerateFromUnusableNames_data()
{
    QTest::addColumn<QString>("issuer");
    QTest::addColumn<QString>("account");
    QTest::addColumn<ErrorCode>("code");
    QTest::newRow("colon in issuer")
        << QStringLiteral("A:B") << QStringLiteral("x") << ErrorCode::InvalidField;
    QTest::newRow("colon in account")
        << QStringLiteral("A") << QStringLiteral("x:y") << ErrorCode::InvalidField;
    QTest::newRow("empty account") << QStringLiteral("A") << QString() << ErrorCode::MissingField;
    QTest::newRow("leading space")
        << QStringLiteral("A") << QStringLiteral(" x") << ErrorCode::InvalidField;
    QTest::newRow("trailing space")
        << QStringLiteral("A ") << QStringLiteral("x") << ErrorCode::InvalidField;
    QTest::newRow("control character")
        << QStringLiteral("A\nB") << QStringLiteral("x") << ErrorCode::InvalidField;
    QTest::newRow("right-to-left override")
        << QStringLiteral(u"A\u202eB") << QStringLiteral("x") << ErrorCode::InvalidField;
    QTest::newRow("too long") << QStringLiteral("A") << QString(700, QChar(u'\u00e9'))
                              << ErrorCode::InputTooLarge;
}

void TestOtpauthUri::refusesToGenerateFromUnusableNames()
{
    QFETCH(QString, issuer);
    QFETCH(QString, account);
    QFETCH(ErrorCode, code);
    const auto secret = OtpSecret::generate();
    QVERIFY(secret.ok());
    const auto totp = Totp::create(secret.value());
    QVERIFY(totp.ok());
    const auto uri = OtpauthUri::forTotp(totp.value(), issuer, account);
    QVERIFY(!uri.ok());
    QCOMPARE(uri.error().code, code);
}

void TestOtpauthUri::refusesToGenerateWithNonZeroT0()
{
    const auto secret = OtpSecret::generate();
    QVERIFY(secret.ok());
    const auto totp = Totp::create(secret.value(), OtpAlgorithm::Sha1, 6, 30, 100);
    QVERIFY(totp.ok());
    const auto uri = OtpauthUri::forTotp(totp.value(), QString(), QStringLiteral("x"));
    QVERIFY(!uri.ok());
    QCOMPARE(uri.error().code, ErrorCode::InvalidField);
}

void TestOtpauthUri::rejectsMalformedUris_data()
{
    QTest::addColumn<QString>("uri");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("messagePart");
    const QString secret = QStringLiteral("secret=") + kRfcKeyBase32;
    const auto row = [&](const char *name, const QString &uri, ErrorCode code, const char *part) {
        QTest::newRow(name) << uri << code << QString::fromLatin1(part);
    };

    // Structure
    row("other scheme", QStringLiteral("https://totp/alice?") + secret, ErrorCode::MalformedLink,
        "otpauth://");
    row("no slashes", QStringLiteral("otpauth:totp/alice?") + secret, ErrorCode::MalformedLink,
        "otpauth://");
    row("unknown type", QStringLiteral("otpauth://motp/alice?") + secret, ErrorCode::InvalidField,
        "type");
    row("empty type", QStringLiteral("otpauth:///alice?") + secret, ErrorCode::InvalidField,
        "type");
    row("no label", QStringLiteral("otpauth://totp?") + secret, ErrorCode::MissingField, "label");
    row("no parameters", QStringLiteral("otpauth://totp/alice"), ErrorCode::MissingField, "secret");
    row("slash in label", QStringLiteral("otpauth://totp/a/b?") + secret, ErrorCode::MalformedLink,
        "'/'");
    row("fragment", QStringLiteral("otpauth://totp/alice?") + secret + QStringLiteral("#x"),
        ErrorCode::MalformedLink, "fragment");
    row("raw space", QStringLiteral("otpauth://totp/ACME Co:alice?") + secret,
        ErrorCode::MalformedLink, "percent-encoded");
    row("raw non-ASCII", QStringLiteral(u"otpauth://totp/caf\u00e9?") + secret,
        ErrorCode::MalformedLink, "percent-encoded");
    row("bad percent escape", QStringLiteral("otpauth://totp/a%2?") + secret,
        ErrorCode::MalformedLink, "percent");
    row("non-hex percent escape", QStringLiteral("otpauth://totp/a%zz?") + secret,
        ErrorCode::MalformedLink, "percent");
    row("invalid UTF-8 in label", QStringLiteral("otpauth://totp/a%C3?") + secret,
        ErrorCode::MalformedLink, "UTF-8");
    row("overlong UTF-8 in label", QStringLiteral("otpauth://totp/a%C0%AF?") + secret,
        ErrorCode::MalformedLink, "UTF-8");
    row("empty parameter", QStringLiteral("otpauth://totp/alice?") + secret + QStringLiteral("&"),
        ErrorCode::MalformedLink, "empty parameter");
    row("parameter without value", QStringLiteral("otpauth://totp/alice?digits&") + secret,
        ErrorCode::MalformedLink, "digits");
    row("bad escape in unknown parameter",
        QStringLiteral("otpauth://totp/alice?image=%G0&") + secret, ErrorCode::MalformedLink,
        "image");

    // Label
    row("two colons", QStringLiteral("otpauth://totp/A:B:alice?") + secret, ErrorCode::InvalidField,
        "more than one ':'");
    row("empty issuer prefix", QStringLiteral("otpauth://totp/:alice?") + secret,
        ErrorCode::MissingField, "issuer in the label");
    row("empty account", QStringLiteral("otpauth://totp/ACME:?") + secret, ErrorCode::MissingField,
        "account name");
    row("empty label", QStringLiteral("otpauth://totp/?") + secret, ErrorCode::MissingField,
        "account name");
    row("control character in label", QStringLiteral("otpauth://totp/ali%0Ace?") + secret,
        ErrorCode::InvalidField, "control");
    row("bidi override in label", QStringLiteral("otpauth://totp/ali%E2%80%AEce?") + secret,
        ErrorCode::InvalidField, "bidirectional");

    // Issuer
    row("issuer differs from label", uriWith(QStringLiteral("issuer=EVIL&") + secret),
        ErrorCode::InvalidField, "issuer");
    row("empty issuer parameter", QStringLiteral("otpauth://totp/alice?issuer=&") + secret,
        ErrorCode::MissingField, "issuer parameter");
    row("colon in issuer parameter", QStringLiteral("otpauth://totp/alice?issuer=A%3AB&") + secret,
        ErrorCode::InvalidField, "':'");

    // Secret
    row("missing secret", QStringLiteral("otpauth://totp/alice?issuer=ACME"),
        ErrorCode::MissingField, "secret");
    row("empty secret", QStringLiteral("otpauth://totp/alice?secret="), ErrorCode::InvalidField,
        "secret");
    row("secret with spaces",
        QStringLiteral("otpauth://totp/alice?secret=GEZD%20GNBV%20GY3T%20QOJQ%20GEZD%20GNBV"),
        ErrorCode::MalformedBase32, "secret");
    row("secret not Base32", QStringLiteral("otpauth://totp/alice?secret=GEZDGNBVGY3TQOJ1"),
        ErrorCode::MalformedBase32, "alphabet");
    row("secret with non-canonical bits",
        QStringLiteral("otpauth://totp/alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGZ"),
        ErrorCode::MalformedBase32, "canonical");
    row("secret too short", QStringLiteral("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP"),
        ErrorCode::InvalidField, "bytes");
    row("duplicate secret", uriWith(secret + QStringLiteral("&") + secret),
        ErrorCode::MalformedLink, "more than once");
    row("duplicate via percent-encoded name",
        uriWith(secret + QStringLiteral("&s%65cret=") + kRfcKeyBase32), ErrorCode::MalformedLink,
        "more than once");

    // Algorithm, digits, period, counter
    row("unknown algorithm", uriWith(QStringLiteral("algorithm=MD5&") + secret),
        ErrorCode::UnsupportedAlgorithm, "MD5");
    row("dashed algorithm", uriWith(QStringLiteral("algorithm=SHA-256&") + secret),
        ErrorCode::UnsupportedAlgorithm, "SHA-256");
    row("empty algorithm", uriWith(QStringLiteral("algorithm=&") + secret),
        ErrorCode::UnsupportedAlgorithm, "algorithm");
    row("7 digits", uriWith(QStringLiteral("digits=7&") + secret), ErrorCode::InvalidField,
        "digits");
    row("10 digits", uriWith(QStringLiteral("digits=10&") + secret), ErrorCode::InvalidField,
        "digits");
    row("digits with a sign", uriWith(QStringLiteral("digits=%2B6&") + secret),
        ErrorCode::InvalidField, "digits");
    row("digits with a leading zero", uriWith(QStringLiteral("digits=06&") + secret),
        ErrorCode::InvalidField, "digits");
    row("zero period", uriWith(QStringLiteral("period=0&") + secret), ErrorCode::InvalidField,
        "period");
    row("negative period", uriWith(QStringLiteral("period=-30&") + secret), ErrorCode::InvalidField,
        "period");
    row("fractional period", uriWith(QStringLiteral("period=30.5&") + secret),
        ErrorCode::InvalidField, "period");
    row("huge period", uriWith(QStringLiteral("period=99999999999999999999999&") + secret),
        ErrorCode::InvalidField, "period");
    row("period with spaces", uriWith(QStringLiteral("period=%2030&") + secret),
        ErrorCode::InvalidField, "period");
    row("duplicate period", uriWith(QStringLiteral("period=30&period=60&") + secret),
        ErrorCode::MalformedLink, "more than once");
    row("hotp without counter", QStringLiteral("otpauth://hotp/alice?") + secret,
        ErrorCode::MissingField, "counter");
    row("hotp counter overflows",
        QStringLiteral("otpauth://hotp/alice?counter=18446744073709551616&") + secret,
        ErrorCode::InvalidField, "counter");
    row("hotp negative counter", QStringLiteral("otpauth://hotp/alice?counter=-1&") + secret,
        ErrorCode::InvalidField, "counter");
    row("hotp with period", QStringLiteral("otpauth://hotp/alice?counter=1&period=30&") + secret,
        ErrorCode::InvalidField, "period");
    row("totp with counter", QStringLiteral("otpauth://totp/alice?counter=1&") + secret,
        ErrorCode::InvalidField, "counter");
}

void TestOtpauthUri::rejectsMalformedUris()
{
    QFETCH(QString, uri);
    QFETCH(ErrorCode, code);
    QFETCH(QString, messagePart);
    const auto parsed = OtpauthUri::parse(uri);
    QVERIFY2(!parsed.ok(), qPrintable(uri));
    QVERIFY2(parsed.error().code == code,
             qPrintable(errorCodeName(parsed.error().code) + QStringLiteral(": ")
                        + parsed.error().message));
    QVERIFY2(parsed.error().message.contains(messagePart), qPrintable(parsed.error().message));
}

void TestOtpauthUri::enforcesTheLengthLimit()
{
    const QString base =
        QStringLiteral("otpauth://totp/alice?secret=") + kRfcKeyBase32 + QStringLiteral("&image=");
    const QString atLimit = base + QString(OtpauthUri::kMaximumLength - base.size(), QChar(u'x'));
    QCOMPARE(atLimit.size(), OtpauthUri::kMaximumLength);
    QVERIFY(OtpauthUri::parse(atLimit).ok());

    const auto tooLong = OtpauthUri::parse(QString(atLimit + QLatin1Char('x')));
    QVERIFY(!tooLong.ok());
    QCOMPARE(tooLong.error().code, ErrorCode::InputTooLarge);

    // '$' may be written literally but toString() percent-encodes it, so this
    // short URI would come back three times as long: refused, so that
    // everything parse() accepts can be written out and parsed again.
    const QString growing = QStringLiteral("otpauth://totp/") + QString(700, QLatin1Char('$'))
        + QStringLiteral("?secret=") + kRfcKeyBase32;
    QVERIFY(growing.size() < OtpauthUri::kMaximumLength);
    const auto grown = OtpauthUri::parse(growing);
    QVERIFY(!grown.ok());
    QCOMPARE(grown.error().code, ErrorCode::InputTooLarge);
}

QTEST_APPLESS_MAIN(TestOtpauthUri)
#include "test_otpauthuri.moc"
