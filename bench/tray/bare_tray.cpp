// The anchor of the companion's start-up and idle figures (bench/run figure
// 8): the smallest Qt tray program, a QApplication with one QSystemTrayIcon
// and its menu, nothing else. `--quit-when-ready` prints "tray ready N ms
// after main()" after the first event-loop turn, as `countersign` does.

#include <QAction>
#include <QApplication>
#include <QElapsedTimer>
#include <QIcon>
#include <QMenu>
#include <QPixmap>
#include <QSystemTrayIcon>
#include <QTextStream>
#include <QTimer>

int main(int argc, char *argv[])
{
    QElapsedTimer startup;
    startup.start();
    QApplication app(argc, argv);
    QApplication::setQuitOnLastWindowClosed(false);
    const bool quitWhenReady = app.arguments().contains(QStringLiteral("--quit-when-ready"));

    QPixmap pixmap(32, 32);
    pixmap.fill(Qt::darkGreen);
    QMenu menu;
    QObject::connect(menu.addAction(QStringLiteral("Quit")), &QAction::triggered, &app,
                     &QCoreApplication::quit);
    QSystemTrayIcon tray{QIcon(pixmap)};
    tray.setToolTip(QStringLiteral("bare tray"));
    tray.setContextMenu(&menu);
    tray.show();
    QTimer::singleShot(0, &app, [&] {
        if (quitWhenReady) {
            QTextStream(stdout) << "tray ready " << startup.elapsed() << " ms after main()\n";
            QCoreApplication::exit(0);
        }
    });
    return app.exec();
}
