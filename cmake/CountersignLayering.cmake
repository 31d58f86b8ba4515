# Layering is enforced by targets: a lower layer must never link a higher one.
# countersign_forbid_links(target dep...) records a rule; the top-level
# CMakeLists calls countersign_check_layering() once every target exists and
# the configure step fails on any direct link that breaks a rule.
function(countersign_forbid_links target)
    foreach(forbidden IN LISTS ARGN)
        set_property(GLOBAL APPEND PROPERTY COUNTERSIGN_LAYERING_RULES "${target}|${forbidden}")
    endforeach()
endfunction()

function(countersign_check_layering)
    get_property(rules GLOBAL PROPERTY COUNTERSIGN_LAYERING_RULES)
    foreach(rule IN LISTS rules)
        string(REPLACE "|" ";" parts "${rule}")
        list(GET parts 0 target)
        list(GET parts 1 forbidden)
        get_target_property(linked ${target} LINK_LIBRARIES)
        get_target_property(interface_linked ${target} INTERFACE_LINK_LIBRARIES)
        if(forbidden IN_LIST linked OR forbidden IN_LIST interface_linked)
            message(FATAL_ERROR "Layering: ${target} must not link ${forbidden}")
        endif()
    endforeach()
endfunction()
