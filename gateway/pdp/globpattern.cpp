#include "globpattern.h"

namespace countersign::gateway {

GlobPattern::GlobPattern(const QString &pattern)
    : m_pattern(pattern)
    , m_codePoints(pattern.toUcs4())
{
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
    constexpr uint star = u'*';
    constexpr uint question = u'?';
    const QList<uint> subject = text.toUcs4();
    // Greedy matching that remembers only the last `*`: when a later literal
    // fails, that star swallows one more character and we retry. Linear
    // memory and O(n*m) time at worst, with no regex engine to blow up.
    qsizetype p = 0;
    qsizetype s = 0;
    qsizetype starP = -1;
    qsizetype starS = 0;
    while (s < subject.size()) {
        if (p < m_codePoints.size()
            && (m_codePoints[p] == question
                || (m_codePoints[p] != star && m_codePoints[p] == subject[s]))) {
            ++p;
            ++s;
        } else if (p < m_codePoints.size() && m_codePoints[p] == star) {
            starP = p++;
            starS = s;
        } else if (starP >= 0) {
            p = starP + 1;
            s = ++starS;
        } else {
            return false;
        }
    }
    while (p < m_codePoints.size() && m_codePoints[p] == star)
        ++p;
    return p == m_codePoints.size();
}

} // namespace countersign::gateway
