#pragma once

#include <chrono>
#include <optional>

#include <QString>
#include <QStringView>

namespace countersign::gateway {

// Durations in the configuration file: a whole number of seconds ("90") or a
// number with one unit suffix ("90s", "2m", "1h"). Nothing fancier, so that
// what a person reads is what the gateway uses. nullopt for anything else,
// including negative numbers and values too large to be meaningful.
std::optional<std::chrono::seconds> parseDuration(QStringView text);

// The shortest exact spelling in the same syntax ("10s", "15m", "24h"), for
// messages that quote limits back to the person.
QString formatDuration(std::chrono::seconds duration);

} // namespace countersign::gateway
