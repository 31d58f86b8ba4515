#include "serveroptions.h"

#include <QCommandLineParser>

namespace countersign::directory {

namespace {

bool isLoopbackHost(const QString &host)
{
    if (host.compare(u"localhost", Qt::CaseInsensitive) == 0)
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

} // namespace

Result<std::pair<QHostAddress, quint16>> ServerOptions::parseListen(const QString &text)
{
    const qsizetype colon = text.lastIndexOf(u':');
    if (colon <= 0)
        return makeError(ErrorCode::ConfigError,
                         QStringLiteral("--listen needs HOST:PORT, such as 127.0.0.1:8765"));
    QString host = text.left(colon);
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    bool numeric = false;
    const uint port = text.mid(colon + 1).toUInt(&numeric);
    if (!numeric || port > 65535)
        return makeError(ErrorCode::ConfigError,
                         QStringLiteral("--listen: \"%1\" is not a port").arg(text.mid(colon + 1)));
    QHostAddress address;
    if (host.compare(u"localhost", Qt::CaseInsensitive) == 0)
        address = QHostAddress(QHostAddress::LocalHost);
    else if (!address.setAddress(host))
        return makeError(ErrorCode::ConfigError,
                         QStringLiteral("--listen: \"%1\" is not an IP address").arg(host));
    return std::pair{address, static_cast<quint16>(port)};
}

ServerOptions::Parsed ServerOptions::parse(const QStringList &arguments, ServerOptions &options)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "An example upstream MCP server for Countersign: a small user directory whose\n"
        "disable_user and enable_user tools run only with an elevated token that the\n"
        "Countersign gateway issues after a person approves the call."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption users(
        QStringLiteral("users"), QStringLiteral("The users file (JSON)."), QStringLiteral("FILE"));
    const QCommandLineOption seed(
        QStringLiteral("seed"),
        QStringLiteral("Create the users file with alice, bob and carol if it does not exist."));
    const QCommandLineOption stdio(QStringLiteral("stdio"),
                                   QStringLiteral("Speak MCP on stdin/stdout."));
    const QCommandLineOption listen(QStringLiteral("listen"),
                                    QStringLiteral("Serve MCP over HTTP at http://HOST:PORT/mcp."),
                                    QStringLiteral("HOST:PORT"));
    const QCommandLineOption jwksUrl(
        QStringLiteral("jwks-url"),
        QStringLiteral("The gateway's JWK Set, e.g. http://127.0.0.1:8443/.well-known/jwks.json."),
        QStringLiteral("URL"));
    const QCommandLineOption jwksFile(QStringLiteral("jwks-file"),
                                      QStringLiteral("Read the gateway's JWK Set from a file."),
                                      QStringLiteral("FILE"));
    const QCommandLineOption issuer(QStringLiteral("issuer"),
                                    QStringLiteral("The gateway's issuer (its public URL)."),
                                    QStringLiteral("ISS"));
    const QCommandLineOption audience(
        QStringLiteral("audience"),
        QStringLiteral("This server's name in the gateway's tokens (the upstream's URL)."),
        QStringLiteral("AUD"));
    parser.addOptions({users, seed, stdio, listen, jwksUrl, jwksFile, issuer, audience});

    const auto usage = [](const QString &message) {
        return Parsed{Outcome::UsageError,
                      QStringLiteral("countersign-directory: %1\nRun 'countersign-directory "
                                     "--help' for the options.\n")
                          .arg(message)};
    };
    if (!parser.parse(arguments))
        return usage(parser.errorText());
    if (parser.isSet(QStringLiteral("help")))
        return {Outcome::Help, parser.helpText()};
    if (parser.isSet(QStringLiteral("version")))
        return {Outcome::Version,
                QStringLiteral("countersign-directory " COUNTERSIGN_VERSION "\n")};
    if (!parser.positionalArguments().isEmpty())
        return usage(QStringLiteral("unexpected argument \"%1\"")
                         .arg(parser.positionalArguments().constFirst()));
    for (const QCommandLineOption *required : {&users, &issuer, &audience}) {
        if (parser.value(*required).isEmpty())
            return usage(QStringLiteral("--%1 is required").arg(required->names().constFirst()));
    }
    if (parser.isSet(stdio) == parser.isSet(listen))
        return usage(QStringLiteral("give exactly one of --stdio and --listen HOST:PORT"));
    if (parser.isSet(jwksUrl) == parser.isSet(jwksFile))
        return usage(QStringLiteral("give exactly one of --jwks-url and --jwks-file"));

    options.usersFile = parser.value(users);
    options.seed = parser.isSet(seed);
    options.stdio = parser.isSet(stdio);
    options.issuer = parser.value(issuer);
    options.audience = parser.value(audience);
    if (!options.stdio) {
        const auto address = parseListen(parser.value(listen));
        if (!address)
            return usage(address.error().message);
        options.listenAddress = address->first;
        options.listenPort = address->second;
    }
    if (parser.isSet(jwksFile)) {
        options.jwks = QUrl::fromLocalFile(parser.value(jwksFile));
    } else {
        options.jwks = QUrl(parser.value(jwksUrl), QUrl::StrictMode);
        const QString scheme = options.jwks.scheme();
        if (!options.jwks.isValid() || (scheme != u"https" && scheme != u"http"))
            return usage(QStringLiteral("--jwks-url must be an http(s) URL"));
        // Whoever can change the keys in transit can approve anything.
        if (scheme == u"http" && !isLoopbackHost(options.jwks.host()))
            return usage(QStringLiteral("--jwks-url must use https unless the gateway is on "
                                        "this machine (loopback)"));
    }
    return {Outcome::Run, {}};
}

} // namespace countersign::directory
