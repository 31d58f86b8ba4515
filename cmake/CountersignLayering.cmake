# Layering is enforced by targets: a lower layer must never link a higher one.
#
# countersign_forbid_links(target dep...) records a rule next to the target it
# constrains (each folder's CMakeLists.txt declares the rules of the targets it
# defines). The top-level CMakeLists calls countersign_check_layering() once
# every target exists; the configure step fails on the first target whose
# links reach a forbidden one, and names the path, e.g.
#   Layering: countersign_app must not link Qt6::Widgets
#     (countersign_app -> helper -> Qt6::Widgets)
#
# What "links" means here (tests/layering checks each case with a probe
# project that must fail to configure):
# - Transitively: LINK_LIBRARIES and INTERFACE_LINK_LIBRARIES of the target
#   and of every target it reaches, PRIVATE links included (a private link
#   is still a dependency of the layer). Imported targets (Qt, OpenSSL, ...)
#   are walked through their INTERFACE_LINK_LIBRARIES.
# - Generator expressions are stripped, innermost first, keeping their
#   content and dropping their condition: $<LINK_ONLY:x>, $<BUILD_INTERFACE:x>
#   and $<$<CONFIG:Debug>:x> all become x. This over-approximates (a link
#   in any configuration counts), which is what a layering rule wants.
# - Names are normalised before comparing: an ALIAS is replaced by the target
#   it names, and Qt's versionless Qt::X by Qt6::X (rules may use either).
#
# The rules between our own targets (declared in protocol/, app/, platform/,
# gateway/, examples/): protocol links none of app/ui/platform/gateway; app
# links neither ui nor platform; the gateway links nothing of the companion;
# the examples link no gateway; none but ui and the countersign program link
# Qt Widgets.
#
# countersign_export_headers(target folder) gives a target its own folder as
# its public include directory, so that an include crossing a forbidden line
# does not compile either (see the function below).

function(countersign_forbid_links target)
    foreach(forbidden IN LISTS ARGN)
        set_property(GLOBAL APPEND PROPERTY COUNTERSIGN_LAYERING_RULES "${target}|${forbidden}")
    endforeach()
endfunction()

# The name a rule compares: the real target behind an ALIAS, Qt6::X for Qt::X.
function(_countersign_layering_normalise item out_var)
    if(item MATCHES "^Qt::(.+)$")
        set(item "Qt6::${CMAKE_MATCH_1}")
    endif()
    if(TARGET "${item}")
        get_target_property(aliased "${item}" ALIASED_TARGET)
        if(aliased)
            set(item "${aliased}")
            if(item MATCHES "^Qt::(.+)$")
                set(item "Qt6::${CMAKE_MATCH_1}")
            endif()
        endif()
    endif()
    set(${out_var} "${item}" PARENT_SCOPE)
endfunction()

# The direct links of one target: both link properties, generator expressions
# stripped, the ::@(directory) markers CMake adds for links made from another
# folder dropped, each name normalised.
function(_countersign_layering_direct_links target out_var)
    set(links "")
    if(TARGET "${target}")
        get_target_property(type "${target}" TYPE)
        set(properties INTERFACE_LINK_LIBRARIES)
        if(NOT type STREQUAL "INTERFACE_LIBRARY")
            get_target_property(imported "${target}" IMPORTED)
            if(NOT imported)
                list(APPEND properties LINK_LIBRARIES)
            endif()
        endif()
        foreach(property IN LISTS properties)
            get_target_property(value "${target}" ${property})
            if(NOT value)
                continue()
            endif()
            # Innermost generator expression first: $<A:B> -> B, $<A> -> "".
            # Done on the whole string, since a list separator may sit
            # inside an expression.
            while(value MATCHES "\\$<")
                string(REGEX REPLACE "\\$<([^$<>:]*)(:([^$<>]*))?>" "\\3" stripped "${value}")
                if(stripped STREQUAL value)
                    break() # not an expression we understand; keep the rest
                endif()
                set(value "${stripped}")
            endwhile()
            string(REPLACE "," ";" value "${value}") # $<IF:c,a,b> leaves a,b
            foreach(item IN LISTS value)
                string(STRIP "${item}" item)
                if(item STREQUAL "" OR item MATCHES "^::@")
                    continue()
                endif()
                _countersign_layering_normalise("${item}" item)
                list(APPEND links "${item}")
            endforeach()
        endforeach()
    endif()
    list(REMOVE_DUPLICATES links)
    set(${out_var} "${links}" PARENT_SCOPE)
endfunction()

# Breadth first from target over every link; reached and parents are two
# parallel lists (parent of the i-th reached name is the i-th parent), so a
# broken rule can be reported with the path that leads to it.
function(_countersign_layering_closure target reached_var parents_var)
    set(reached "${target}")
    set(parents "-")
    set(queue "${target}")
    while(queue)
        list(POP_FRONT queue current)
        _countersign_layering_direct_links("${current}" links)
        foreach(link IN LISTS links)
            list(FIND reached "${link}" seen)
            if(seen EQUAL -1)
                list(APPEND reached "${link}")
                list(APPEND parents "${current}")
                list(APPEND queue "${link}")
            endif()
        endforeach()
    endwhile()
    set(${reached_var} "${reached}" PARENT_SCOPE)
    set(${parents_var} "${parents}" PARENT_SCOPE)
endfunction()

function(_countersign_layering_path name reached parents out_var)
    set(path "${name}")
    list(FIND reached "${name}" index)
    while(index GREATER 0)
        list(GET parents ${index} parent)
        string(PREPEND path "${parent} -> ")
        list(FIND reached "${parent}" index)
    endwhile()
    set(${out_var} "${path}" PARENT_SCOPE)
endfunction()

function(countersign_check_layering)
    get_property(rules GLOBAL PROPERTY COUNTERSIGN_LAYERING_RULES)
    set(subjects "")
    foreach(rule IN LISTS rules)
        string(REPLACE "|" ";" parts "${rule}")
        list(GET parts 0 target)
        list(APPEND subjects "${target}")
    endforeach()
    list(REMOVE_DUPLICATES subjects)

    set(violations "")
    foreach(subject IN LISTS subjects)
        if(NOT TARGET "${subject}")
            message(FATAL_ERROR "Layering: a rule names ${subject}, which is not a target")
        endif()
        _countersign_layering_normalise("${subject}" start)
        _countersign_layering_closure("${start}" reached parents)
        foreach(rule IN LISTS rules)
            string(REPLACE "|" ";" parts "${rule}")
            list(GET parts 0 target)
            list(GET parts 1 forbidden)
            if(NOT target STREQUAL subject)
                continue()
            endif()
            _countersign_layering_normalise("${forbidden}" forbidden)
            list(FIND reached "${forbidden}" index)
            if(index GREATER 0)
                _countersign_layering_path("${forbidden}" "${reached}" "${parents}" path)
                string(APPEND violations
                    "Layering: ${subject} must not link ${forbidden}\n  (${path})\n")
            endif()
        endforeach()
    endforeach()
    if(violations)
        message(FATAL_ERROR "${violations}")
    endif()
endfunction()

# countersign_export_headers(target folder...)
# Sources include headers root-relative ("protocol/jose/jws.h",
# "app/gatewayclient.h"). Exporting the source root would let any target
# include anything; instead each target gets a folder of its own in the build
# tree, ${CMAKE_BINARY_DIR}/include/<target>, holding a symbolic link
# <folder> -> ${PROJECT_SOURCE_DIR}/<folder> for each folder it owns, and that
# is its public include directory (BUILD_INTERFACE: nothing is installed).
# "app/x.h" then resolves only for code that is app/ itself or links
# countersign_app. A folder owned by two targets (platform/, tests/support/,
# bench/load/) is linked from both; a consumer still sees only what it links.
# Symbolic links need a file system that has them (every Unix; Windows with
# developer mode).
function(countersign_export_headers target)
    set(root "${CMAKE_BINARY_DIR}/include/${target}")
    foreach(folder IN LISTS ARGN)
        set(link "${root}/${folder}")
        get_filename_component(parent "${link}" DIRECTORY)
        file(MAKE_DIRECTORY "${parent}")
        if(NOT IS_SYMLINK "${link}")
            file(CREATE_LINK "${PROJECT_SOURCE_DIR}/${folder}" "${link}" SYMBOLIC)
        endif()
    endforeach()
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "INTERFACE_LIBRARY")
        set(scope INTERFACE)
    else()
        set(scope PUBLIC)
    endif()
    target_include_directories(${target} ${scope} "$<BUILD_INTERFACE:${root}>")
endfunction()
