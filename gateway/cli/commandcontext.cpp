#include "commandcontext.h"

#include "gateway/pairing/qrcode.h"

#include <QDir>
#include <QStandardPaths>

namespace countersign::gateway {

CommandContext::CommandContext(QString commandName, QString description)
    : m_name(std::move(commandName))
    , m_configOption(QStringList{QStringLiteral("c"), QStringLiteral("config")},
                     QStringLiteral("Gateway configuration file (YAML)."), QStringLiteral("FILE"))
    , m_dataDirOption(QStringLiteral("data-dir"),
                      QStringLiteral("Data directory (overrides data_dir in the config; default "
                                     "~/.local/share/countersign-gateway)."),
                      QStringLiteral("DIR"))
    , m_userOption(QStringLiteral("user"),
                   QStringLiteral("The user (an id from users: in the config)."),
                   QStringLiteral("USER"))
    , m_pngOption(QStringLiteral("png"), QStringLiteral("Also write the QR code as a PNG image."),
                  QStringLiteral("FILE"))
    , m_out(stdout)
    , m_err(stderr)
{
    m_parser.setApplicationDescription(description);
    m_parser.addHelpOption();
    m_parser.addOption(m_configOption);
    m_parser.addOption(m_dataDirOption);
}

bool CommandContext::parse(const QStringList &arguments)
{
    if (!m_parser.parse(arguments)) {
        m_exitCode = usage(m_parser.errorText());
        return false;
    }
    if (m_parser.isSet(QStringLiteral("help"))) {
        // Qt's first line is "Usage: <program> [options] ..."; the command's
        // full name (which starts with the program's) takes the program's
        // place, so the name is printed once.
        QString help = m_parser.helpText();
        const QString usage = QStringLiteral("Usage: ");
        const qsizetype options = help.indexOf(QStringLiteral("[options]"));
        if (help.startsWith(usage) && options > usage.size())
            help.replace(usage.size(), options - usage.size(), m_name + u' ');
        m_out << help;
        m_out.flush();
        m_exitCode = Success;
        return false;
    }
    return true;
}

std::optional<GatewayConfig> CommandContext::loadConfig()
{
    if (!m_parser.isSet(m_configOption)) {
        usage(QStringLiteral("--config FILE is required"));
        return std::nullopt;
    }
    auto config = GatewayConfig::load(m_parser.value(m_configOption));
    if (!config) {
        fail(config.error().message);
        return std::nullopt;
    }
    if (m_parser.isSet(m_dataDirOption))
        config.value().dataDir = QDir(m_parser.value(m_dataDirOption)).absolutePath();
    if (!config->dataDir) {
        // Neither the file nor the command line names one: the per-user data
        // location, so that a config runs as is (~/.local/share/countersign-gateway).
        config.value().dataDir =
            QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation);
    }
    m_dataDir = *config->dataDir;
    return std::move(config).value();
}

void CommandContext::addUserOption()
{
    m_parser.addOption(m_userOption);
}

std::optional<QString> CommandContext::requireKnownUser(const GatewayConfig &config)
{
    const QString userId = m_parser.value(m_userOption);
    if (userId.isEmpty()) {
        usage(QStringLiteral("--user USER is required"));
        return std::nullopt;
    }
    if (std::none_of(config.users.cbegin(), config.users.cend(),
                     [&userId](const GatewayConfig::User &user) { return user.id == userId; })) {
        fail(QStringLiteral("%1 is not a user in the config (users:)").arg(userId));
        return std::nullopt;
    }
    return userId;
}

void CommandContext::addPngOption()
{
    m_parser.addOption(m_pngOption);
}

bool CommandContext::writePngIfAsked(const QrCode &code)
{
    if (!m_parser.isSet(m_pngOption))
        return true;
    const QString path = m_parser.value(m_pngOption);
    if (auto written = code.writePng(path); !written) {
        fail(written.error().message);
        return false;
    }
    m_out << "QR code written to " << path << '\n';
    return true;
}

int CommandContext::fail(const QString &message)
{
    m_err << m_name << QStringLiteral(": ") << message << Qt::endl;
    m_exitCode = Failure;
    return Failure;
}

int CommandContext::usage(const QString &message)
{
    m_err << m_name << QStringLiteral(": ") << message << QStringLiteral("\nRun '") << m_name
          << QStringLiteral(" --help' for usage.") << Qt::endl;
    m_exitCode = UsageError;
    return UsageError;
}

} // namespace countersign::gateway
