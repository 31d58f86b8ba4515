# cmake -DPROBE_SOURCE=<dir> -DPROBE_BINARY=<dir> -DPROBE_CASE=<case>
#       -DCOUNTERSIGN_SOURCE_DIR=<repository> -DEXPECT=<regex|success>
#       -DGENERATOR=<generator> -P runprobe.cmake
# Configures the probe from scratch and checks the outcome: EXPECT=success
# must configure; otherwise the configure step must fail and its output must
# match EXPECT (the layering message with the offending path).
file(REMOVE_RECURSE "${PROBE_BINARY}")
execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${PROBE_SOURCE}" -B "${PROBE_BINARY}" -G "${GENERATOR}"
        "-DCOUNTERSIGN_SOURCE_DIR=${COUNTERSIGN_SOURCE_DIR}" "-DPROBE_CASE=${PROBE_CASE}"
    RESULT_VARIABLE result
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output)
if(EXPECT STREQUAL "success")
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "probe ${PROBE_CASE} obeys the rules but did not configure:\n${output}")
    endif()
    message(STATUS "probe ${PROBE_CASE} configured, as it should")
    return()
endif()
if(result EQUAL 0)
    message(FATAL_ERROR "probe ${PROBE_CASE} breaks a rule but configured:\n${output}")
endif()
# CMake wraps long messages; compare with the line breaks and indents gone.
string(REGEX REPLACE "[ \n]+" " " flat "${output}")
if(NOT flat MATCHES "${EXPECT}")
    message(FATAL_ERROR "probe ${PROBE_CASE} failed, but not with \"${EXPECT}\":\n${output}")
endif()
message(STATUS "probe ${PROBE_CASE} failed to configure, as it should: ${EXPECT}")
