#pragma once

#include <QString>
#include <QStringView>

namespace countersign {

// Remote text (anything from a request, even a signed one) as a person may
// see it. A person decides from what they read, so every character that
// could hide, reorder or break up text (isDisplaySafe in
// protocol/displaytext.h: controls, line separators, bidirectional
// formatting, unpaired surrogates) is replaced by a visible escape:
// "\n", "\r", "\t" for the common ones, "\u{202E}" for the rest.
struct SafeText {
    QString text;
    bool escaped = false; // the original held characters that are now escapes
};

SafeText displaySafeText(QStringView text);

// Adds zero-width break opportunities inside long unbroken runs (ids, URLs,
// hashes) so that a word-wrapping label wraps them instead of growing as
// wide as the longest run. Only for display: the characters added are
// invisible, the text is otherwise unchanged.
QString wrappableText(QStringView text);

// The text without the break opportunities wrappableText added.
QString withoutBreakOpportunities(QStringView text);

} // namespace countersign
