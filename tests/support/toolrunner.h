#pragma once

#include <QByteArray>
#include <QProcess>
#include <QStandardPaths>
#include <QStringList>

namespace countersign::testing {

struct ToolRun {
    bool started = false;
    int exitCode = -1;
    QByteArray out;
    QByteArray err;

    bool succeeded() const { return started && exitCode == 0; }
};

// Runs an external program (an independent implementation we compare
// against) to completion and collects what it printed.
inline ToolRun runTool(const QString &program, const QStringList &arguments,
                       const QByteArray &input = {}, const QString &workingDirectory = {})
{
    QProcess process;
    if (!workingDirectory.isEmpty())
        process.setWorkingDirectory(workingDirectory);
    process.start(program, arguments);
    ToolRun run;
    run.started = process.waitForStarted(10'000);
    if (!run.started)
        return run;
    if (!input.isEmpty())
        process.write(input);
    process.closeWriteChannel();
    if (!process.waitForFinished(60'000)) {
        process.kill();
        process.waitForFinished(5'000);
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

// The path of a required tool, or empty: tests then fail with a message that
// says which package to install instead of skipping quietly.
inline QString requiredTool(const QString &name)
{
    return QStandardPaths::findExecutable(name);
}

} // namespace countersign::testing
