# cmake -DSOURCE_DIR=<repository> -P gatewaygraph.cmake
# gateway/ is one target, so CMake cannot keep its subfolders apart; this
# script keeps them to the dependency graph written in gateway/README.md (the
# "a --> b" lines of its mermaid block). It fails when
# - a file under gateway/<a>/ includes "gateway/<b>/..." and a --> b is not
#   in the graph (files directly in gateway/, i.e. main.cpp, are node main),
# - an edge of the graph is no longer used by any include (the README would
#   describe a dependency that is gone),
# - the graph has a cycle, or
# - a subfolder of gateway/ is missing from the README's subfolder table.
# Includes between gateway folders must be written root-relative: "../x.h"
# is refused, so that no edge hides from this check.
cmake_minimum_required(VERSION 3.25)
set(gateway "${SOURCE_DIR}/gateway")
set(problems "")

# The written graph.
file(READ "${gateway}/README.md" readme)
string(REGEX MATCH "```mermaid\n[^`]*```" block "${readme}")
if(NOT block)
    message(FATAL_ERROR "gateway/README.md has no mermaid block with the dependency graph")
endif()
string(REGEX MATCHALL "[a-z_]+ --> [a-z_]+" written_edges "${block}")
set(nodes "")
foreach(edge IN LISTS written_edges)
    string(REPLACE " --> " ";" pair "${edge}")
    list(APPEND nodes ${pair})
endforeach()
list(REMOVE_DUPLICATES nodes)

# Every subfolder is described.
file(GLOB entries LIST_DIRECTORIES true RELATIVE "${gateway}" "${gateway}/*")
foreach(entry IN LISTS entries)
    if(IS_DIRECTORY "${gateway}/${entry}")
        string(FIND "${readme}" "| `${entry}/` |" described)
        if(described EQUAL -1)
            string(APPEND problems "gateway/${entry}/ is not in the subfolder table of gateway/README.md\n")
        endif()
    endif()
endforeach()

# The edges the includes make.
file(GLOB_RECURSE sources RELATIVE "${gateway}" "${gateway}/*.h" "${gateway}/*.cpp")
set(used_edges "")
foreach(source IN LISTS sources)
    if(source MATCHES "^([^/]+)/")
        set(from "${CMAKE_MATCH_1}")
    else()
        set(from main)
    endif()
    file(STRINGS "${gateway}/${source}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
    foreach(line IN LISTS includes)
        if(line MATCHES "#[ \t]*include[ \t]*\"\\.\\./")
            string(APPEND problems "gateway/${source}: ${line} (write it root-relative)\n")
        elseif(line MATCHES "#[ \t]*include[ \t]*\"gateway/([^/\"]+)/")
            set(to "${CMAKE_MATCH_1}")
            if(NOT to STREQUAL from)
                set(edge "${from} --> ${to}")
                list(APPEND used_edges "${edge}")
                if(NOT edge IN_LIST written_edges)
                    string(APPEND problems
                        "gateway/${source}: ${line}: ${from} --> ${to} is not in gateway/README.md\n")
                endif()
            endif()
        endif()
    endforeach()
endforeach()
list(REMOVE_DUPLICATES used_edges)
foreach(edge IN LISTS written_edges)
    if(NOT edge IN_LIST used_edges)
        string(APPEND problems "gateway/README.md lists ${edge}, which no include uses any more\n")
    endif()
endforeach()

# No cycle: remove nodes without outgoing edges until none is left (Kahn).
set(remaining_nodes "${nodes}")
set(remaining_edges "${written_edges}")
while(remaining_nodes)
    set(sinks "")
    foreach(node IN LISTS remaining_nodes)
        set(outgoing "${remaining_edges}")
        list(FILTER outgoing INCLUDE REGEX "^${node} --> ")
        if(NOT outgoing)
            list(APPEND sinks "${node}")
        endif()
    endforeach()
    if(NOT sinks)
        string(APPEND problems "gateway/README.md: the graph has a cycle among ${remaining_nodes}\n")
        break()
    endif()
    list(REMOVE_ITEM remaining_nodes ${sinks})
    foreach(sink IN LISTS sinks)
        list(FILTER remaining_edges EXCLUDE REGEX " --> ${sink}$")
    endforeach()
endwhile()

if(problems)
    message(FATAL_ERROR "The gateway's subfolders left their dependency graph:\n${problems}")
endif()
list(LENGTH written_edges edge_count)
message(STATUS "gateway/: ${edge_count} edges between subfolders, all written down, no cycle")
