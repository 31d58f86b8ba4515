#include "globpattern.h"

#include <cstddef>

namespace countersign::gateway {

namespace {

constexpr char32_t replacement = 0xFFFD;

// Reads the code point at `at` of UTF-16 text and moves `at` past it.
struct Utf16Text {
    QStringView text;

    std::size_t size() const { return static_cast<std::size_t>(text.size()); }
    char32_t next(std::size_t &at) const
    {
        const char16_t unit = text[static_cast<qsizetype>(at)].unicode();
        ++at;
        if (QChar::isHighSurrogate(unit) && at < size()) {
            const char16_t low = text[static_cast<qsizetype>(at)].unicode();
            if (QChar::isLowSurrogate(low)) {
                ++at;
                return QChar::surrogateToUcs4(unit, low);
            }
        }
        if (QChar::isSurrogate(unit))
            return replacement; // as QString::toUcs4 reads a lone surrogate
        return unit;
    }
};

// Reads the code point at `at` of UTF-8 text and moves `at` past it; an
// invalid sequence reads as the impossible code point 0xFFFFFFFF, which no
// pattern character equals (`?` still consumes it, as the text is invalid
// anyway and callers only pass validated UTF-8).
struct Utf8Text {
    std::string_view text;

    std::size_t size() const { return text.size(); }
    char32_t next(std::size_t &at) const
    {
        constexpr char32_t invalid = 0xFFFFFFFF;
        const auto lead = static_cast<unsigned char>(text[at++]);
        if (lead < 0x80)
            return lead;
        int extra = 0;
        char32_t code = 0;
        if ((lead & 0xE0) == 0xC0) {
            extra = 1;
            code = lead & 0x1F;
        } else if ((lead & 0xF0) == 0xE0) {
            extra = 2;
            code = lead & 0x0F;
        } else if ((lead & 0xF8) == 0xF0) {
            extra = 3;
            code = lead & 0x07;
        } else {
            return invalid;
        }
        for (int i = 0; i < extra; ++i) {
            if (at >= text.size())
                return invalid;
            const auto follow = static_cast<unsigned char>(text[at]);
            if ((follow & 0xC0) != 0x80)
                return invalid;
            ++at;
            code = (code << 6) | (follow & 0x3F);
        }
        return code;
    }
};

// Greedy matching that remembers only the last `*`: when a later literal
// fails, that star swallows one more character and we retry. Constant
// memory and O(n*m) time at worst, with no regex engine to blow up.
template <typename Text>
bool matchCodePoints(const std::vector<char32_t> &pattern, const Text &subject)
{
    constexpr char32_t star = u'*';
    constexpr char32_t question = u'?';
    const std::size_t patternSize = pattern.size();
    const std::size_t textSize = subject.size();
    std::size_t p = 0;
    std::size_t s = 0;
    std::size_t starP = 0;
    bool haveStar = false;
    std::size_t starS = 0;
    while (s < textSize) {
        std::size_t after = s;
        const char32_t c = subject.next(after);
        if (p < patternSize
            && (pattern[p] == question || (pattern[p] != star && pattern[p] == c))) {
            ++p;
            s = after;
        } else if (p < patternSize && pattern[p] == star) {
            haveStar = true;
            starP = p++;
            starS = s;
        } else if (haveStar) {
            p = starP + 1;
            subject.next(starS);
            s = starS;
        } else {
            return false;
        }
    }
    while (p < patternSize && pattern[p] == star)
        ++p;
    return p == patternSize;
}

} // namespace

GlobPattern::GlobPattern(const QString &pattern)
    : m_pattern(pattern)
    , m_utf8(pattern.toStdString())
{
    const Utf16Text text{pattern};
    bool plain = true;
    for (std::size_t at = 0; at < text.size();) {
        const char32_t code = text.next(at);
        m_codePoints.push_back(code);
        plain = plain && code != replacement;
    }
    m_plainLiteral = plain && isLiteral();
}

const QString &GlobPattern::pattern() const
{
    return m_pattern;
}

bool GlobPattern::isLiteral() const
{
    return !m_pattern.contains(u'*') && !m_pattern.contains(u'?');
}

bool GlobPattern::matches(QStringView text) const
{
    if (m_plainLiteral)
        return text == m_pattern;
    return matchCodePoints(m_codePoints, Utf16Text{text});
}

bool GlobPattern::matchesUtf8(std::string_view text) const
{
    if (m_plainLiteral)
        return text == m_utf8;
    return matchCodePoints(m_codePoints, Utf8Text{text});
}

} // namespace countersign::gateway
