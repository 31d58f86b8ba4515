#include "commandcontext.h"

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
        m_out << m_parser.helpText().replace(QStringLiteral("[options]"),
                                             m_name + QStringLiteral(" [options]"));
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
