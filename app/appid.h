#pragma once

#include <QString>

namespace countersign {

// The companion's one reverse-DNS identity. The desktop file, AppStream
// metainfo, icons, the keychain service, QSettings and the single-instance
// socket all use it, so it is chosen once, here.
struct AppId {
    static QString id();               // "io.github.countersign.Countersign"
    static QString organizationName(); // "countersign" (QSettings path)
    static QString applicationName();  // "Countersign"
    static QString keychainService();  // service name of every keychain entry
};

} // namespace countersign
