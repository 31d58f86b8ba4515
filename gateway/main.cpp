#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("countersign-gateway"));
    QCoreApplication::setApplicationVersion(QStringLiteral(COUNTERSIGN_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Countersign gateway: holds an AI agent's sensitive tool calls until a "
                       "person approves them in the Countersign desktop companion."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.process(app);

    QTextStream(stderr) << "countersign-gateway " << QCoreApplication::applicationVersion()
                        << ": no command given. Run 'countersign-gateway --help'.\n";
    return 2;
}
