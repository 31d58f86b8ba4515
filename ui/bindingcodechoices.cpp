#include "bindingcodechoices.h"

#include <QRandomGenerator>

namespace countersign {

namespace {

constexpr int choiceCount = 3;

// Binding codes are two decimal digits (docs/protocol.md 3.2); decoys must
// look exactly like them.
QString twoDigitCode(quint32 value)
{
    return QStringLiteral("%1").arg(value % 100, 2, 10, QLatin1Char('0'));
}

} // namespace

QStringList bindingCodeChoices(const QString &bindingCode, QRandomGenerator &random)
{
    QStringList choices;
    choices.reserve(choiceCount);
    while (choices.size() < choiceCount - 1) {
        const QString decoy = twoDigitCode(random.bounded(100u));
        if (decoy != bindingCode && !choices.contains(decoy))
            choices.append(decoy);
    }
    choices.insert(static_cast<qsizetype>(random.bounded(static_cast<quint32>(choiceCount))),
                   bindingCode);
    return choices;
}

} // namespace countersign
