#pragma once

#include <QList>
#include <QString>
#include <QStringView>

namespace countersign::gateway {

// A policy glob: `*` matches any run of characters (also none, also "/"),
// `?` exactly one character, everything else itself. Case-sensitive and
// anchored at both ends. Nothing else is special, so tool names and ids with
// "[", "\" or "." need no escaping. Qt 6.4's wildcardToRegularExpression
// cannot do this (its `*` stops at "/" and it knows "[...]"), hence this
// small matcher.
class GlobPattern {
public:
    explicit GlobPattern(const QString &pattern);

    bool matches(QStringView text) const;
    const QString &pattern() const;
    // True when the pattern has no `*` or `?` (it matches only itself).
    bool isLiteral() const;

private:
    QString m_pattern;
    QList<uint> m_codePoints; // `?` matches one code point, not one UTF-16 unit
};

} // namespace countersign::gateway
