#include "urlscheme.h"

#include <QFileOpenEvent>
#include <QUrl>

namespace countersign {

namespace {

bool isSchemeLink(const QString &text)
{
    return text.startsWith(UrlScheme::scheme() + u':', Qt::CaseInsensitive);
}

} // namespace

QString UrlScheme::scheme()
{
    return QStringLiteral("countersign");
}

QString UrlScheme::mimeType()
{
    return QStringLiteral("x-scheme-handler/") + scheme();
}

QString UrlScheme::linkInArguments(const QStringList &arguments)
{
    static const QString pairOption = QStringLiteral("--pair");
    static const QString pairAssignment = QStringLiteral("--pair=");
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QString &argument = arguments[i];
        if (argument == pairOption && i + 1 < arguments.size())
            return arguments[i + 1];
        if (argument.startsWith(pairAssignment))
            return argument.mid(pairAssignment.size());
        if (isSchemeLink(argument))
            return argument;
    }
    return {};
}

UrlOpenEvents::UrlOpenEvents(QObject *parent)
    : QObject(parent)
{
}

bool UrlOpenEvents::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::FileOpen) {
        const QUrl url = static_cast<QFileOpenEvent *>(event)->url();
        if (url.scheme().compare(UrlScheme::scheme(), Qt::CaseInsensitive) == 0) {
            Q_EMIT linkOpened(url.toString(QUrl::FullyEncoded));
            return true;
        }
    }
    return QObject::eventFilter(watched, event);
}

} // namespace countersign
