#pragma once

#include "protocol/result.h"

#include <optional>

#include <QHostAddress>
#include <QStringList>
#include <QUrl>

namespace countersign::directory {

// The command line of countersign-directory, checked as a whole so that main()
// only wires things together.
struct ServerOptions {
    QString usersFile;
    bool seed = false;
    bool stdio = false; // otherwise HTTP on listenAddress:listenPort
    QHostAddress listenAddress;
    quint16 listenPort = 0;
    QUrl jwks; // https:/http: or file:
    QString issuer;
    QString audience;

    enum class Outcome { Run, Help, Version, UsageError };
    struct Parsed {
        Outcome outcome = Outcome::UsageError;
        QString text; // help, version or the usage error to print
    };
    // Fills `options` when the outcome is Run.
    static Parsed parse(const QStringList &arguments, ServerOptions &options);

    // "127.0.0.1:8765", "[::1]:8765", "localhost:0".
    static Result<std::pair<QHostAddress, quint16>> parseListen(const QString &text);
};

} // namespace countersign::directory
