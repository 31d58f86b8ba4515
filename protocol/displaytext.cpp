#include "displaytext.h"

#include <QChar>

namespace countersign {

bool isDisplayUnsafe(char32_t c)
{
    return c <= 0x1F || (c >= 0x7F && c <= 0x9F) || (c >= 0x202A && c <= 0x202E)
        || (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F || c == 0x061C || c == 0x2028
        || c == 0x2029;
}

std::optional<char32_t> firstDisplayUnsafe(QStringView text)
{
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        char32_t codePoint = c.unicode();
        if (c.isHighSurrogate() && i + 1 < text.size() && text[i + 1].isLowSurrogate()) {
            codePoint = QChar::surrogateToUcs4(c, text[i + 1]);
            ++i;
        } else if (c.isSurrogate()) {
            return codePoint;
        }
        if (isDisplayUnsafe(codePoint))
            return codePoint;
    }
    return std::nullopt;
}

} // namespace countersign
