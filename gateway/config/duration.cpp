#include "duration.h"

namespace countersign::gateway {

namespace {

// Nine digits of hours is far beyond any limit we check, and keeps the
// multiplication below from overflowing.
constexpr qsizetype maxDigits = 9;

} // namespace

std::optional<std::chrono::seconds> parseDuration(QStringView text)
{
    text = text.trimmed();
    qint64 unitSeconds = 1;
    if (!text.isEmpty()) {
        switch (text.back().unicode()) {
        case u's':
            text.chop(1);
            break;
        case u'm':
            unitSeconds = 60;
            text.chop(1);
            break;
        case u'h':
            unitSeconds = 3600;
            text.chop(1);
            break;
        default:
            break;
        }
    }
    if (text.isEmpty() || text.size() > maxDigits) {
        return std::nullopt;
    }
    qint64 value = 0;
    for (const QChar c : text) {
        // Only ASCII digits: QString::toLongLong would also take signs,
        // surrounding spaces and other scripts' digits.
        if (c < u'0' || c > u'9') {
            return std::nullopt;
        }
        value = value * 10 + (c.unicode() - u'0');
    }
    return std::chrono::seconds(value * unitSeconds);
}

QString formatDuration(std::chrono::seconds duration)
{
    const qint64 seconds = duration.count();
    if (seconds != 0 && seconds % 3600 == 0) {
        return QStringLiteral("%1h").arg(seconds / 3600);
    }
    if (seconds != 0 && seconds % 60 == 0) {
        return QStringLiteral("%1m").arg(seconds / 60);
    }
    return QStringLiteral("%1s").arg(seconds);
}

} // namespace countersign::gateway
