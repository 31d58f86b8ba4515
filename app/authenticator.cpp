#include "authenticator.h"

namespace countersign {

Authenticator::Authenticator(QObject *parent)
    : QObject(parent)
{
}

Authenticator::~Authenticator() = default;

} // namespace countersign
