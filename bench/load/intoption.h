#pragma once

#include <optional>

#include <QCommandLineParser>
#include <QTextStream>

namespace countersign::load {

// The integer value of --name, within [min, max]; otherwise says so on err.
std::optional<int> intOption(const QCommandLineParser &parser, const QString &name, int min,
                             int max, QTextStream &err);

} // namespace countersign::load
