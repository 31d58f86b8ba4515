#pragma once

#include <chrono>

#include <QObject>
#include <QProcess>
#include <QRegularExpression>
#include <QString>
#include <QStringList>
#include <QUrl>

namespace countersign::load {

// A server program run as a child process for a benchmark: its output goes
// to a log file (as a service's would go to the journal, so writing it costs
// the child what it costs in production and the benchmark reads nothing
// while it measures), and it counts as started when a line of that log
// matches `ready`, whose first capture group is the URL it serves. The
// child is asked to stop (SIGTERM) when this object goes, and gets SIGTERM
// from the kernel if the benchmark itself dies first.
class ChildServer : public QObject {
    Q_OBJECT

public:
    struct Spec {
        QString name; // for messages: "directory", "gateway (http upstream)"
        QString program;
        QStringList arguments;
        QString logFile; // stdout and stderr both go here
        QRegularExpression ready;
    };

    explicit ChildServer(Spec spec, QObject *parent = nullptr);
    ~ChildServer() override;

    // Starts the program and waits for its ready line. Returns false (and
    // says why in error()) when it does not start, exits, or stays silent
    // past the timeout.
    bool start(std::chrono::milliseconds timeout);
    void stop();

    QUrl url() const { return m_url; }
    qint64 processId() const { return m_process.processId(); }
    QString error() const { return m_error; }
    const Spec &spec() const { return m_spec; }

private:
    QString logTail() const;

    Spec m_spec;
    QProcess m_process;
    QUrl m_url;
    QString m_error;
};

} // namespace countersign::load
