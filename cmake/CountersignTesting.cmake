# countersign_add_qtest(<name> SOURCES <files...> [LIBRARIES <libs...>]
#                       LABELS <unit|integration|gui|e2e|interop...> [ENVIRONMENT <VAR=value...>])
# One Qt Test executable per class or feature, registered with CTest under its
# own name and labels so that `ctest -L unit` runs a subset.
function(countersign_add_qtest name)
    cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBRARIES;LABELS;ENVIRONMENT" ${ARGN})
    if(NOT ARG_LABELS)
        message(FATAL_ERROR "countersign_add_qtest(${name}): LABELS is required")
    endif()
    add_executable(${name} ${ARG_SOURCES})
    target_link_libraries(${name} PRIVATE Qt6::Test countersign_policy ${ARG_LIBRARIES})
    add_test(NAME ${name} COMMAND ${name})
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
    set_tests_properties(${name} PROPERTIES
        LABELS "${ARG_LABELS}"
        TIMEOUT ${ARG_TIMEOUT}
        ENVIRONMENT "${environment};${ARG_ENVIRONMENT}")
endfunction()
