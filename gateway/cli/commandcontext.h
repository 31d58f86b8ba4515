#pragma once

#include "gateway/config/gatewayconfig.h"

#include <QCommandLineParser>
#include <QTextStream>

namespace countersign::gateway {

// What every command shares: --config and --data-dir, how they combine, and
// where output and errors go. Commands return the process exit code.
class CommandContext {
public:
    enum ExitCode {
        Success = 0,
        Failure = 1,
        UsageError = 2,
    };

    CommandContext(QString commandName, QString description);

    QCommandLineParser &parser() { return m_parser; }
    // Parses the command's arguments; prints --help or errors itself.
    // Returns false when the command should stop (with exitCode()).
    bool parse(const QStringList &arguments);
    int exitCode() const { return m_exitCode; }

    // Loads --config, applies --data-dir; errors are printed.
    std::optional<GatewayConfig> loadConfig();
    QString dataDir() const { return m_dataDir; }

    // --user USER, checked against the config's users.
    void addUserOption();
    std::optional<QString> requireKnownUser(const GatewayConfig &config);
    // --png FILE: also write a QR code there.
    void addPngOption();
    bool writePngIfAsked(const class QrCode &code);

    QTextStream &out() { return m_out; }
    int fail(const QString &message);
    int usage(const QString &message);

private:
    QString m_name;
    QCommandLineParser m_parser;
    QCommandLineOption m_configOption;
    QCommandLineOption m_dataDirOption;
    QCommandLineOption m_userOption;
    QCommandLineOption m_pngOption;
    QString m_dataDir;
    int m_exitCode = Success;
    QTextStream m_out;
    QTextStream m_err;
};

int runServe(const QStringList &arguments);
int runPair(const QStringList &arguments);
int runDevices(const QStringList &arguments);
int runTotp(const QStringList &arguments);
int runAudit(const QStringList &arguments);
int runPolicy(const QStringList &arguments);

} // namespace countersign::gateway
