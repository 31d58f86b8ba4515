#pragma once

#include <string_view>
#include <vector>

#include <QString>
#include <QStringView>

namespace countersign::gateway {

// A policy glob: `*` matches any run of characters (also none, also "/"),
// `?` exactly one character, everything else itself. Case-sensitive and
// anchored at both ends. Nothing else is special, so tool names and ids with
// "[", "\" or "." need no escaping. Qt 6.4's wildcardToRegularExpression
// cannot do this (its `*` stops at "/" and it knows "[...]"), hence this
// small matcher.
//
// "Character" is a Unicode code point: a surrogate pair is one character and
// a lone surrogate reads as U+FFFD (as QString::toUcs4 reads it). The pattern
// is decoded once, here; matches() decodes the text as it goes, so a match
// allocates nothing (it runs once per rule per decision).
class GlobPattern {
public:
    explicit GlobPattern(const QString &pattern);

    // The text as UTF-16 (a QString).
    bool matches(QStringView text) const;
    // The text as UTF-8 (e.g. straight from a JSON parser). Invalid UTF-8
    // never matches: the caller's parser has validated it already.
    bool matchesUtf8(std::string_view text) const;
    const QString &pattern() const;
    // True when the pattern has no `*` or `?` (it matches only itself).
    bool isLiteral() const;

private:
    QString m_pattern;
    std::vector<char32_t> m_codePoints;
    std::string m_utf8;
    // A literal whose UTF-16 and UTF-8 spellings compare exactly as its code
    // points do (no lone surrogate, no U+FFFD): matched by plain equality.
    bool m_plainLiteral = false;
};

} // namespace countersign::gateway
