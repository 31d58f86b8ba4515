#pragma once

#include <optional>

#include <QStringView>

namespace countersign {

// Characters that can make text read differently from what it is when a
// person sees it: C0 and C1 controls, Unicode line and paragraph separators,
// and the bidirectional embedding, override, isolate and mark characters
// (Trojan Source, CVE-2021-42574). Names, ids and identifiers that a person
// reads to decide must not contain them.
bool isDisplayUnsafe(char32_t codePoint);

// The first unsafe code point in `text` (an unpaired surrogate counts as
// unsafe and is returned as is), or nothing when the text is safe.
std::optional<char32_t> firstDisplayUnsafe(QStringView text);

inline bool isDisplaySafe(QStringView text)
{
    return !firstDisplayUnsafe(text).has_value();
}

} // namespace countersign
