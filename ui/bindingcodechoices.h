#pragma once

#include <QString>
#include <QStringList>

class QRandomGenerator;

namespace countersign {

// The three codes a person chooses from: the request's binding code and two
// different decoys of the same form, in random order. Choosing (instead of
// clicking "yes, it matches") makes the person look at their agent's
// conversation, and a wrong choice tells the gateway something is off. The
// order comes from `random` so that the real code is not always in one place
// a person learns to click without looking.
QStringList bindingCodeChoices(const QString &bindingCode, QRandomGenerator &random);

} // namespace countersign
