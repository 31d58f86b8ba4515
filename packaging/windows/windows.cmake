# Windows: an NSIS installer made by CPack (docs/packaging.md, "Windows").
# Included from packaging/CMakeLists.txt only when WIN32. Build on Windows
# with Qt 6 (MSVC) and NSIS on PATH:
#   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCOUNTERSIGN_BUILD_TESTS=OFF -DCOUNTERSIGN_BUILD_BENCH=OFF
#   cmake --build build && cd build && cpack -G NSIS
# The installer holds countersign.exe, countersign-gateway.exe, the
# translations and what windeployqt copies next to them (Qt DLLs, the
# platform, SQLite, SVG and TLS plugins), and registers the countersign://
# scheme for the pairing links.

# Values reach the .nsi file as written here (backslashes are NSIS's own).
set(CPACK_VERBATIM_VARIABLES ON)
set(CPACK_GENERATOR NSIS)
set(CPACK_PACKAGE_INSTALL_DIRECTORY Countersign)
set(CPACK_PACKAGE_INSTALL_REGISTRY_KEY Countersign)
set(CPACK_NSIS_PACKAGE_NAME Countersign)
set(CPACK_NSIS_DISPLAY_NAME Countersign)
set(CPACK_NSIS_URL_INFO_ABOUT "${PROJECT_HOMEPAGE_URL}")
set(CPACK_NSIS_INSTALLED_ICON_NAME "bin\\countersign.exe")
set(CPACK_NSIS_ENABLE_UNINSTALL_BEFORE_INSTALL ON)
# Start menu entry: bin/countersign.exe as "Countersign".
set(CPACK_PACKAGE_EXECUTABLES countersign Countersign)

# windeployqt: Qt's libraries and plugins next to the program (Qt 6's deploy
# script runs it at install time, so also inside cpack).
if(TARGET countersign)
    set_target_properties(countersign PROPERTIES WIN32_EXECUTABLE ON)
    qt_generate_deploy_app_script(TARGET countersign FILENAME_VARIABLE companion_deploy)
    install(SCRIPT "${companion_deploy}" COMPONENT companion)
endif()
if(TARGET countersign-gateway)
    qt_generate_deploy_app_script(TARGET countersign-gateway FILENAME_VARIABLE gateway_deploy)
    install(SCRIPT "${gateway_deploy}" COMPONENT gateway)
endif()

# The countersign:// scheme (HKEY_CLASSES_ROOT for an all-users install, the
# user's Software\Classes otherwise: SHCTX follows the install mode). The
# link arrives as the first argument, which UrlScheme::linkInArguments finds
# (platform/urlscheme.h).
set(CPACK_NSIS_EXTRA_INSTALL_COMMANDS [=[
  WriteRegStr SHCTX "Software\Classes\countersign" "" "URL:Countersign pairing link"
  WriteRegStr SHCTX "Software\Classes\countersign" "URL Protocol" ""
  WriteRegStr SHCTX "Software\Classes\countersign\DefaultIcon" "" "$INSTDIR\bin\countersign.exe,0"
  WriteRegStr SHCTX "Software\Classes\countersign\shell\open\command" "" '"$INSTDIR\bin\countersign.exe" "%1"'
]=])
# Start at login is the person's choice in Settings, written by the
# companion to HKCU\Software\Microsoft\Windows\CurrentVersion\Run (value
# "Countersign", the program with --minimized); the uninstaller removes that
# value too so that nothing points at a deleted program.
set(CPACK_NSIS_EXTRA_UNINSTALL_COMMANDS [=[
  DeleteRegKey SHCTX "Software\Classes\countersign"
  DeleteRegValue HKCU "Software\Microsoft\Windows\CurrentVersion\Run" "Countersign"
]=])
