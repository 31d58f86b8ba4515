#include "childserver.h"

#include <csignal>
#include <sys/prctl.h>

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QFile>
#include <QTimer>

namespace countersign::load {

ChildServer::ChildServer(Spec spec, QObject *parent)
    : QObject(parent)
    , m_spec(std::move(spec))
{
}

ChildServer::~ChildServer()
{
    stop();
}

bool ChildServer::start(std::chrono::milliseconds timeout)
{
    m_process.setProgram(m_spec.program);
    m_process.setArguments(m_spec.arguments);
    m_process.setStandardOutputFile(m_spec.logFile, QIODevice::Append);
    m_process.setStandardErrorFile(m_spec.logFile, QIODevice::Append);
    m_process.setStandardInputFile(QProcess::nullDevice());
    // A benchmark killed with Ctrl-C or crashing must not leave servers
    // holding ports and temporary directories.
    m_process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
    m_process.start();
    if (!m_process.waitForStarted(static_cast<int>(timeout.count()))) {
        m_error = QStringLiteral("%1: cannot start %2: %3")
                      .arg(m_spec.name, m_spec.program, m_process.errorString());
        return false;
    }
    // Poll the log: the child writes it directly, so there is no signal to
    // wait for. Start-up is not measured, so 20 ms steps are fine.
    const QDeadlineTimer deadline(timeout);
    QFile log(m_spec.logFile);
    while (!deadline.hasExpired()) {
        if (log.open(QIODevice::ReadOnly)) {
            const QString text = QString::fromUtf8(log.readAll());
            log.close();
            const QRegularExpressionMatch match = m_spec.ready.match(text);
            if (match.hasMatch()) {
                m_url = QUrl(match.captured(1));
                return true;
            }
        }
        if (m_process.state() == QProcess::NotRunning) {
            m_error = QStringLiteral("%1 exited during start-up (code %2):\n%3")
                          .arg(m_spec.name)
                          .arg(m_process.exitCode())
                          .arg(logTail());
            return false;
        }
        QEventLoop loop;
        QTimer::singleShot(std::chrono::milliseconds(20), &loop, &QEventLoop::quit);
        loop.exec();
    }
    m_error = QStringLiteral("%1 did not report ready within %2 ms:\n%3")
                  .arg(m_spec.name)
                  .arg(timeout.count())
                  .arg(logTail());
    return false;
}

void ChildServer::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.terminate(); // both servers quit cleanly on SIGTERM
    if (!m_process.waitForFinished(5000)) {
        m_process.kill();
        m_process.waitForFinished(2000);
    }
}

QString ChildServer::logTail() const
{
    QFile log(m_spec.logFile);
    if (!log.open(QIODevice::ReadOnly))
        return QStringLiteral("(no log at %1)").arg(m_spec.logFile);
    const QByteArray text = log.readAll();
    return QString::fromUtf8(text.right(2000));
}

} // namespace countersign::load
