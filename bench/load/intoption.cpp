#include "intoption.h"

namespace countersign::load {

std::optional<int> intOption(const QCommandLineParser &parser, const QString &name, int min,
                             int max, QTextStream &err)
{
    bool ok = false;
    const int value = parser.value(name).toInt(&ok);
    if (!ok || value < min || value > max) {
        err << QStringLiteral("--%1 must be an integer from %2 to %3\n")
                   .arg(name)
                   .arg(min)
                   .arg(max);
        return std::nullopt;
    }
    return value;
}

} // namespace countersign::load
