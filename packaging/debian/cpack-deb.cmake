# CPack DEB: two packages from the install components (docs/packaging.md).
#   countersign          the tray companion (component companion)
#   countersign-gateway  the gateway and its systemd service (component gateway)
# Built with `cpack --config CPackConfig.cmake -G DEB` in the build folder;
# scripts/package-test builds them, runs lintian and the programs inside.
# Library dependencies come from dpkg-shlibdeps; what the programs load at run
# time as Qt plugins (which shlibdeps cannot see) is listed by hand.

set(CPACK_GENERATOR DEB)
# The packages install under the configured prefix, which must be /usr for
# Debian (the unit, /etc and the service's ExecStart follow it).
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    message(STATUS "Debian packages: configure with -DCMAKE_INSTALL_PREFIX=/usr before running cpack")
endif()
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL "")
if(TARGET countersign)
    list(APPEND CPACK_COMPONENTS_ALL companion)
endif()
if(TARGET countersign-gateway)
    list(APPEND CPACK_COMPONENTS_ALL gateway)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${PROJECT_HOMEPAGE_URL}")
# Files in the control archive keep the modes given here (0755 scripts).
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_COMPANION_PACKAGE_NAME countersign)
set(CPACK_DEBIAN_COMPANION_PACKAGE_SECTION utils)
# FIDO2 security keys: libfido2 (found by shlibdeps) opens /dev/hidraw*,
# which the logged-in user may open thanks to udev: systemd's udev (244 and
# later, Debian 12 has 252) tags security keys with 60-fido-id.rules, and
# libu2f-udev's 70-u2f.rules lists known keys for systems without it.
# Qt plugins: the SQLite driver (history), the xcb platform, SVG icons.
set(CPACK_DEBIAN_COMPANION_PACKAGE_DEPENDS
    "udev (>= 244) | libu2f-udev, libqt6sql6-sqlite, qt6-qpa-plugins, libqt6svg6")
# Wayland sessions, Qt's own German strings (standard buttons), and a Secret
# Service for the device key.
set(CPACK_DEBIAN_COMPANION_PACKAGE_RECOMMENDS
    "qt6-wayland, qt6-translations-l10n, gnome-keyring | kwalletmanager | keepassxc")
set(CPACK_COMPONENT_COMPANION_DESCRIPTION
    "Approve your AI agents' sensitive actions from the desktop
 Countersign's tray companion shows an AI agent's sensitive action that a
 Countersign gateway holds (who asked, which action, on what, and why) and
 lets you approve it with a TOTP code or a FIDO2 security key. Answers are
 signed with a device key kept in the desktop keychain. Pairing links
 (countersign://) open it.")

set(CPACK_DEBIAN_GATEWAY_PACKAGE_NAME countersign-gateway)
set(CPACK_DEBIAN_GATEWAY_PACKAGE_SECTION net)
# systemd-sysusers makes the service's user in postinst.
set(CPACK_DEBIAN_GATEWAY_PACKAGE_DEPENDS
    "libqt6sql6-sqlite, systemd | systemd-standalone-sysusers")
set(CPACK_COMPONENT_GATEWAY_DESCRIPTION
    "MCP proxy that holds AI agents' sensitive tool calls for approval
 The Countersign gateway sits between AI agents (MCP clients) and MCP
 servers. An AuthZEN policy decides each tool call; calls that need a
 person wait until a paired Countersign companion approves them, and go
 upstream with an elevated token bound to that one call. Includes a
 hardened systemd service (countersign-gateway.service).")

set(conffiles "${CMAKE_CURRENT_BINARY_DIR}/debian/gateway/conffiles")
# (COUNTERSIGN_GATEWAY_CONFIG_DIR comes from linux/gateway.)
file(WRITE "${conffiles}"
    "${COUNTERSIGN_GATEWAY_CONFIG_DIR}/gateway.yaml\n"
    "${COUNTERSIGN_GATEWAY_CONFIG_DIR}/policy.yaml\n")
file(CHMOD "${conffiles}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
set(CPACK_DEBIAN_GATEWAY_PACKAGE_CONTROL_EXTRA
    "${conffiles}"
    "${CMAKE_CURRENT_SOURCE_DIR}/debian/gateway/postinst"
    "${CMAKE_CURRENT_SOURCE_DIR}/debian/gateway/prerm"
    "${CMAKE_CURRENT_SOURCE_DIR}/debian/gateway/postrm")

# Debian wants /usr/share/doc/<package>/copyright and changelog.Debian.gz in
# each package.
set(COUNTERSIGN_DEB_VERSION "${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}")
string(TIMESTAMP COUNTERSIGN_DEB_DATE "%a, %d %b %Y 00:00:00 +0000" UTC)
foreach(component IN LISTS CPACK_COMPONENTS_ALL)
    string(TOUPPER ${component} upper)
    set(package ${CPACK_DEBIAN_${upper}_PACKAGE_NAME})
    set(COUNTERSIGN_DEB_SOURCE countersign)
    set(changelog "${CMAKE_CURRENT_BINARY_DIR}/debian/${component}/changelog.Debian")
    configure_file(debian/changelog.in "${changelog}" @ONLY)
    add_custom_command(OUTPUT "${changelog}.gz"
        COMMAND gzip -9 -n -f -k "${changelog}"
        DEPENDS "${changelog}"
        VERBATIM)
    list(APPEND changelogs "${changelog}.gz")
    install(FILES "${changelog}.gz" debian/copyright
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${package} COMPONENT ${component})
endforeach()
add_custom_target(countersign_debian_changelogs ALL DEPENDS ${changelogs})
