# countersign_add_qtest(<name> SOURCES <files...> [LIBRARIES <libs...>]
#                       LABELS <unit|integration|gui|e2e|interop...> [ENVIRONMENT <VAR=value...>]
#                       [KEYRING])
# One Qt Test executable per class or feature, registered with CTest under its
# own name and labels so that `ctest -L unit` runs a subset.
# KEYRING runs the test through tests/support/with-keyring: a private D-Bus
# session with gnome-keyring-daemon unlocked in a throwaway HOME, so that
# keychain code meets a real Secret Service; such tests also get the label
# `keyring`.
# In a ThreadSanitizer build (COUNTERSIGN_TSAN) every test runs through
# tests/support/with-tsan-check, and the integration and e2e tests also get
# the label `tsan`: the suite scripts/test runs under TSan. The target
# countersign_tsan_suite builds exactly those tests and the programs they
# start, nothing else.
if(COUNTERSIGN_TSAN)
    add_custom_target(countersign_tsan_suite)
endif()

function(countersign_add_qtest name)
    cmake_parse_arguments(ARG "KEYRING" "TIMEOUT" "SOURCES;LIBRARIES;LABELS;ENVIRONMENT" ${ARGN})
    if(NOT ARG_LABELS)
        message(FATAL_ERROR "countersign_add_qtest(${name}): LABELS is required")
    endif()
    add_executable(${name} ${ARG_SOURCES})
    target_link_libraries(${name} PRIVATE Qt6::Test countersign_policy ${ARG_LIBRARIES})
    set(runners)
    if(COUNTERSIGN_TSAN)
        # A ThreadSanitizer report from the test or from any program it
        # starts (gateway, directory, agent: built with TSan too) fails it.
        list(APPEND runners "${PROJECT_SOURCE_DIR}/tests/support/with-tsan-check")
        # The suite CI runs under TSan (scripts/test): everything that has
        # real threads next to the Qt thread, i.e. the edge's I/O threads
        # (every test that starts a gateway) and the FIDO worker.
        if("integration" IN_LIST ARG_LABELS OR "e2e" IN_LIST ARG_LABELS)
            list(APPEND ARG_LABELS tsan)
            add_dependencies(countersign_tsan_suite ${name})
        endif()
    endif()
    if(ARG_KEYRING)
        list(APPEND runners "${PROJECT_SOURCE_DIR}/tests/support/with-keyring")
        list(APPEND ARG_LABELS keyring)
    endif()
    add_test(NAME ${name} COMMAND ${runners} $<TARGET_FILE:${name}>)
    if(NOT ARG_TIMEOUT)
        set(ARG_TIMEOUT 120)
    endif()
    set(environment "QT_QPA_PLATFORM=offscreen")
    if(COUNTERSIGN_SANITIZE)
        # Leaks inside Qt itself are listed (with the reason) in this file;
        # Qt has no frame pointers, so only the slow unwinder sees its frames.
        list(APPEND environment
            "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/sanitizers/lsan.supp"
            "ASAN_OPTIONS=fast_unwind_on_malloc=0")
    endif()
    if(COUNTERSIGN_TSAN)
        list(APPEND environment
            "TSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/sanitizers/tsan.supp halt_on_error=1")
    endif()
    set_tests_properties(${name} PROPERTIES
        LABELS "${ARG_LABELS}"
        TIMEOUT ${ARG_TIMEOUT}
        ENVIRONMENT "${environment};${ARG_ENVIRONMENT}")
endfunction()
