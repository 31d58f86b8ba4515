# macOS: countersign.app, a menu bar program (docs/packaging.md, "macOS").
# Included from packaging/CMakeLists.txt only when APPLE. Build on macOS with
# Qt 6 (Homebrew or the Qt installer):
#   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCOUNTERSIGN_BUILD_TESTS=OFF -DCOUNTERSIGN_BUILD_BENCH=OFF
#   cmake --build build && cd build && cpack -G DragNDrop
# macdeployqt (through Qt 6's deploy script) copies Qt's frameworks and
# plugins into the bundle at install time.
if(TARGET countersign)
    set_target_properties(countersign PROPERTIES
        MACOSX_BUNDLE ON
        MACOSX_BUNDLE_INFO_PLIST "${CMAKE_CURRENT_SOURCE_DIR}/macos/Info.plist.in"
        MACOSX_BUNDLE_GUI_IDENTIFIER io.github.countersign.Countersign
        MACOSX_BUNDLE_BUNDLE_NAME Countersign
        MACOSX_BUNDLE_SHORT_VERSION_STRING "${PROJECT_VERSION}"
        MACOSX_BUNDLE_BUNDLE_VERSION "${PROJECT_VERSION}")
    qt_generate_deploy_app_script(TARGET countersign FILENAME_VARIABLE companion_deploy)
    install(SCRIPT "${companion_deploy}" COMPONENT companion)
endif()
set(CPACK_GENERATOR DragNDrop)
set(CPACK_DMG_VOLUME_NAME Countersign)
