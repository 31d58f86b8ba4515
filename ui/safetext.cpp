#include "safetext.h"

#include "protocol/displaytext.h"

#include <QChar>

namespace countersign {

namespace {

// U+200B ZERO WIDTH SPACE: a line-break opportunity with no width (UAX #14
// class ZW), which Qt's line breaker honours.
constexpr char16_t breakOpportunity = u'\u200B';

// Long enough that ordinary words and numbers never get one, short enough
// that a 256-character id wraps inside the dialog's width.
constexpr qsizetype longestUnbrokenRun = 24;

QString escapeFor(char32_t codePoint)
{
    switch (codePoint) {
    case U'\n':
        return QStringLiteral("\\n");
    case U'\r':
        return QStringLiteral("\\r");
    case U'\t':
        return QStringLiteral("\\t");
    default:
        return QStringLiteral("\\u{%1}").arg(QString::number(static_cast<uint>(codePoint), 16)
                                                 .toUpper()
                                                 .rightJustified(4, QLatin1Char('0')));
    }
}

} // namespace

SafeText displaySafeText(QStringView text)
{
    SafeText safe;
    if (isDisplaySafe(text)) {
        safe.text = text.toString();
        return safe;
    }
    safe.escaped = true;
    safe.text.reserve(text.size() + 16);
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (c.isHighSurrogate() && i + 1 < text.size() && text[i + 1].isLowSurrogate()) {
            // Outside the BMP nothing is unsafe today; keep the pair whole.
            const char32_t codePoint = QChar::surrogateToUcs4(c, text[i + 1]);
            if (isDisplayUnsafe(codePoint)) {
                safe.text += escapeFor(codePoint);
            } else {
                safe.text += c;
                safe.text += text[i + 1];
            }
            ++i;
            continue;
        }
        // An unpaired surrogate cannot be shown at all: escape it too.
        if (c.isSurrogate() || isDisplayUnsafe(c.unicode())) {
            safe.text += escapeFor(c.unicode());
            continue;
        }
        safe.text += c;
    }
    return safe;
}

QString wrappableText(QStringView text)
{
    QString wrappable;
    wrappable.reserve(text.size() + text.size() / longestUnbrokenRun);
    qsizetype run = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        wrappable += c;
        if (c.isSpace() || c == QChar(breakOpportunity)) {
            run = 0;
            continue;
        }
        // Never split a surrogate pair.
        if (c.isHighSurrogate())
            continue;
        if (++run >= longestUnbrokenRun && i + 1 < text.size() && !text[i + 1].isSpace()) {
            wrappable += QChar(breakOpportunity);
            run = 0;
        }
    }
    return wrappable;
}

QString withoutBreakOpportunities(QStringView text)
{
    QString plain = text.toString();
    plain.remove(QChar(breakOpportunity));
    return plain;
}

} // namespace countersign
