#pragma once

#include <QDBusConnection>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QString>
#include <QTemporaryDir>
#include <QTest>

namespace countersign::test {

// A D-Bus bus of the test's own: dbus-daemon started on a socket in a
// temporary directory, with a configuration that activates no service, so a
// name nobody registered is missing for certain (and the desktop's own
// session bus, if any, is never touched). Fake services register on a second
// connection of the same process. Needs the Debian package dbus-daemon
// (pulled in by `dbus`).
class PrivateSessionBus {
public:
    PrivateSessionBus() = default;
    PrivateSessionBus(const PrivateSessionBus &) = delete;
    PrivateSessionBus &operator=(const PrivateSessionBus &) = delete;

    ~PrivateSessionBus()
    {
        for (const QString &name : std::as_const(m_connections))
            QDBusConnection::disconnectFromBus(name);
        if (m_daemon.state() != QProcess::NotRunning) {
            m_daemon.terminate();
            if (!m_daemon.waitForFinished(5000))
                m_daemon.kill();
            m_daemon.waitForFinished(5000);
        }
    }

    // Starts the daemon; false (with a message through qWarning) when it
    // could not.
    bool start()
    {
        const QString daemon = QStandardPaths::findExecutable(QStringLiteral("dbus-daemon"));
        if (daemon.isEmpty()) {
            qWarning("dbus-daemon is not installed; install it with: apt-get install dbus");
            return false;
        }
        if (!m_directory.isValid())
            return false;
        const QString config = m_directory.filePath(QStringLiteral("bus.conf"));
        QFile file(config);
        if (!file.open(QIODevice::WriteOnly))
            return false;
        file.write(QStringLiteral(
                       "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration "
                       "1.0//EN\" \"http://www.freedesktop.org/standards/dbus/1.0/"
                       "busconfig.dtd\">\n"
                       "<busconfig>\n"
                       "  <type>session</type>\n"
                       "  <listen>unix:dir=%1</listen>\n"
                       "  <auth>EXTERNAL</auth>\n"
                       "  <policy context=\"default\">\n"
                       "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
                       "    <allow eavesdrop=\"true\"/>\n"
                       "    <allow own=\"*\"/>\n"
                       "  </policy>\n"
                       "</busconfig>\n")
                       .arg(m_directory.path())
                       .toUtf8());
        file.close();
        m_daemon.start(daemon,
                       {QStringLiteral("--config-file=") + config, QStringLiteral("--nofork"),
                        QStringLiteral("--nopidfile"), QStringLiteral("--print-address=1")});
        if (!m_daemon.waitForStarted(5000))
            return false;
        QByteArray output;
        const bool printed = QTest::qWaitFor(
            [&] {
                output += m_daemon.readAllStandardOutput();
                return output.contains('\n') || m_daemon.state() == QProcess::NotRunning;
            },
            10000);
        m_address = QString::fromUtf8(output).trimmed();
        if (!printed || m_address.isEmpty()) {
            qWarning("dbus-daemon did not print its address: %s",
                     m_daemon.readAllStandardError().constData());
            return false;
        }
        return true;
    }

    QString address() const { return m_address; }

    // A new connection to this bus under `name` (unique within the process).
    QDBusConnection connect(const QString &name)
    {
        m_connections.append(name);
        return QDBusConnection::connectToBus(m_address, name);
    }

private:
    QTemporaryDir m_directory;
    QProcess m_daemon;
    QString m_address;
    QStringList m_connections;
};

} // namespace countersign::test
