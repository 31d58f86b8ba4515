# Checks that every claim of docs/threat-model.md still points at something
# real (cmake -DSOURCE_DIR=<repository> [-DSTRICT=ON] -P checkthreatmodel.cmake):
#   [test: tests/PATH::FUNCTION]  the file exists and defines void CLASS::FUNCTION()
#   [code: PATH, ...`NAME`...]    the file exists and contains each backticked
#   [design: PATH, ...]           name (its last ::part); for a .md file, each
#                                 "quoted" section is in one of its headings
# TBD-TEST(...) markers (claims another branch of issue 16 makes true) are
# listed; with STRICT=ON they fail the check, which is what a merge needs.
# A renamed or removed test therefore fails CI instead of leaving a claim
# that nothing backs.

if(NOT SOURCE_DIR)
    message(FATAL_ERROR "checkthreatmodel.cmake: pass -DSOURCE_DIR=<repository root>")
endif()
set(document "${SOURCE_DIR}/docs/threat-model.md")
file(READ "${document}" text)
# References may wrap across lines; semicolons would split CMake lists.
string(REPLACE ";" "," text "${text}")
string(REGEX REPLACE "[ \t\r\n]+" " " text "${text}")

set(problems "")
set(checked 0)

# --- [test: FILE::FUNCTION] ---
string(REGEX MATCHALL "\\[test: tests/[A-Za-z0-9_./-]+::[A-Za-z0-9_]+\\]" tests "${text}")
foreach(reference IN LISTS tests)
    string(REGEX REPLACE "^\\[test: ([^ ]+)::([A-Za-z0-9_]+)\\]$" "\\1" path "${reference}")
    string(REGEX REPLACE "^\\[test: ([^ ]+)::([A-Za-z0-9_]+)\\]$" "\\2" function "${reference}")
    math(EXPR checked "${checked} + 1")
    if(NOT EXISTS "${SOURCE_DIR}/${path}")
        list(APPEND problems "${reference}: there is no file ${path}")
        continue()
    endif()
    file(READ "${SOURCE_DIR}/${path}" source)
    if(NOT source MATCHES "void [A-Za-z0-9_]+::${function}\\(\\)")
        list(APPEND problems "${reference}: ${path} has no test function ${function}()")
    endif()
endforeach()

# --- [code: PATH, ...] and [design: PATH, ...] ---
string(REGEX MATCHALL "\\[(code|design): [^]]+\\]" designs "${text}")
foreach(reference IN LISTS designs)
    string(REGEX REPLACE "^\\[(code|design): ([^ ,]+).*$" "\\2" path "${reference}")
    # Only references that name a file (with a dot), not this page's legend.
    if(NOT path MATCHES "\\.[A-Za-z]+$")
        continue()
    endif()
    math(EXPR checked "${checked} + 1")
    if(NOT EXISTS "${SOURCE_DIR}/${path}")
        list(APPEND problems "${reference}: there is no file ${path}")
        continue()
    endif()
    file(READ "${SOURCE_DIR}/${path}" source)
    string(REGEX MATCHALL "`[^`]+`" names "${reference}")
    foreach(quoted IN LISTS names)
        string(REGEX REPLACE "^`(.*)`$" "\\1" name "${quoted}")
        string(REGEX REPLACE "^.*::" "" last "${name}")
        string(FIND "${source}" "${last}" at)
        if(at EQUAL -1)
            list(APPEND problems "${reference}: ${path} does not mention ${last}")
        endif()
    endforeach()
    if(path MATCHES "\\.md$")
        # The first "quoted" text after the path names a section.
        if(reference MATCHES "^\\[[a-z]+: [^ ,]+, \"([^\"]+)\"")
            set(section "${CMAKE_MATCH_1}")
            string(REGEX MATCHALL "(^|\n)#+ [^\n]*" headings "${source}")
            set(found OFF)
            foreach(heading IN LISTS headings)
                string(FIND "${heading}" "${section}" at)
                if(NOT at EQUAL -1)
                    set(found ON)
                endif()
            endforeach()
            if(NOT found)
                list(APPEND problems "${reference}: ${path} has no section \"${section}\"")
            endif()
        endif()
    endif()
endforeach()

# --- TBD-TEST(...) ---
string(REGEX MATCHALL "TBD-TEST\\([^)]*\\)" markers "${text}")
list(LENGTH markers markerCount)
foreach(marker IN LISTS markers)
    if(STRICT)
        list(APPEND problems "unresolved ${marker}")
    else()
        message(STATUS "still to be replaced with a test: ${marker}")
    endif()
endforeach()

if(problems)
    list(JOIN problems "\n  " listed)
    message(FATAL_ERROR "docs/threat-model.md has claims that point at nothing:\n  ${listed}")
endif()
message(STATUS "docs/threat-model.md: ${checked} references checked, ${markerCount} TBD-TEST markers")
