#pragma once

#include <optional>

#include <QByteArrayList>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

namespace countersign::testing {

// One run of a Node script that prints one JSON object per line ("step"
// objects), read as it comes so that a test can act (approve in a test
// companion, move the clock) while the script waits. Used for the MCP SDK 1
// and SDK 2 clients (test_mcp_sdk_interop, test_mcp_sdk2_interop).
class NodeScriptRun {
public:
    NodeScriptRun(const QString &node, const QString &workingDirectory,
                  const QStringList &arguments)
    {
        QObject::connect(&m_process, &QProcess::readyReadStandardOutput, &m_process,
                         [this] { readLines(); });
        m_process.setWorkingDirectory(workingDirectory);
        m_process.start(node, arguments);
    }
    ~NodeScriptRun()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }
    NodeScriptRun(const NodeScriptRun &) = delete;
    NodeScriptRun &operator=(const NodeScriptRun &) = delete;

    bool started() { return m_process.waitForStarted(10000); }
    void writeLine(const QByteArray &line) { m_process.write(line + '\n'); }
    bool finished() const { return m_process.state() == QProcess::NotRunning; }
    // Waits (running the event loop, so an in-process gateway answers) until
    // node has exited; false when it is still running at the deadline.
    bool waitForExit(int timeoutMs)
    {
        const bool exited = QTest::qWaitFor([this] { return finished(); }, timeoutMs);
        readLines();
        return exited;
    }
    bool exitedCleanly() const
    {
        return finished() && m_process.exitStatus() == QProcess::NormalExit
            && m_process.exitCode() == 0;
    }
    // Waits for the first `name` step.
    std::optional<QJsonObject> waitForStep(const QString &name, int timeoutMs)
    {
        // The step (or its absence) is the answer, not whether it waited.
        static_cast<void>(QTest::qWaitFor(
            [this, &name] { return step(name).has_value() || finished(); }, timeoutMs));
        readLines();
        return step(name);
    }
    // Every `name` step, in order.
    QList<QJsonObject> steps(const QString &name) const
    {
        QList<QJsonObject> found;
        for (const QJsonObject &step : m_steps) {
            if (step.value(QStringLiteral("step")).toString() == name)
                found.append(step);
        }
        return found;
    }
    // Where the first `name` step is among all steps, or -1.
    qsizetype indexOf(const QString &name) const
    {
        for (qsizetype i = 0; i < m_steps.size(); ++i) {
            if (m_steps[i].value(QStringLiteral("step")).toString() == name)
                return i;
        }
        return -1;
    }
    std::optional<QJsonObject> step(const QString &name) const
    {
        const auto found = steps(name);
        if (found.isEmpty())
            return std::nullopt;
        return found.first();
    }
    // What went on, for failure messages.
    QByteArray transcript()
    {
        m_stderr += m_process.readAllStandardError();
        return m_lines.join('\n') + "\n-- stderr:\n" + m_stderr;
    }

private:
    void readLines()
    {
        m_buffer += m_process.readAllStandardOutput();
        qsizetype end = 0;
        while ((end = m_buffer.indexOf('\n')) >= 0) {
            const QByteArray line = m_buffer.left(end);
            m_buffer.remove(0, end + 1);
            m_lines.append(line);
            QJsonParseError error{};
            const QJsonDocument document = QJsonDocument::fromJson(line, &error);
            if (error.error == QJsonParseError::NoError && document.isObject())
                m_steps.append(document.object());
            else
                m_steps.append(QJsonObject{{QStringLiteral("step"), QStringLiteral("unparsed")},
                                           {QStringLiteral("line"), QString::fromUtf8(line)}});
        }
    }

    QProcess m_process;
    QByteArray m_buffer;
    QByteArrayList m_lines;
    QByteArray m_stderr;
    QList<QJsonObject> m_steps;
};

} // namespace countersign::testing
