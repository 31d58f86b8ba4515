# Every compile policy lives on one INTERFACE target. Each Countersign target
# links countersign_policy; nothing uses global include_directories or
# add_definitions, so a target's flags are visible in one place.

add_library(countersign_policy INTERFACE)
add_library(Countersign::Policy ALIAS countersign_policy)

target_compile_features(countersign_policy INTERFACE cxx_std_20)

target_compile_definitions(countersign_policy INTERFACE
    # Strings from bytes must say their encoding.
    QT_NO_CAST_FROM_ASCII
    QT_NO_CAST_TO_ASCII
    QT_NO_CAST_FROM_BYTEARRAY
    QT_NO_URL_CAST_FROM_STRING
    QT_USE_QSTRINGBUILDER
    QT_NO_KEYWORDS
    # Qt 6.7+: connect() without a context object is a compile error.
    QT_NO_CONTEXTLESS_CONNECT
    QT_NO_NARROWING_CONVERSIONS_IN_CONNECT
    QT_STRICT_ITERATORS
    # No API that Qt deprecated up to the oldest Qt we support (6.4).
    QT_DISABLE_DEPRECATED_BEFORE=0x060400
    QT_DISABLE_DEPRECATED_UP_TO=0x060400
    COUNTERSIGN_VERSION="${PROJECT_VERSION}")

if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(countersign_policy INTERFACE
        -Wall -Wextra -Wpedantic
        -Wold-style-cast -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
        -Wcast-align -Wconversion -Wnull-dereference
        -Wimplicit-fallthrough -Wformat=2
        -fstack-protector-strong)
    if(COUNTERSIGN_WERROR)
        target_compile_options(countersign_policy INTERFACE -Werror)
    endif()
    # Hardening: fortified libc calls (level 3 needs glibc 2.34+ and an
    # optimising build), libstdc++ bounds assertions, full RELRO, PIE.
    target_compile_definitions(countersign_policy INTERFACE
        $<$<NOT:$<CONFIG:Debug>>:_FORTIFY_SOURCE=3>
        _GLIBCXX_ASSERTIONS)
    target_link_options(countersign_policy INTERFACE
        -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack)
    if(COUNTERSIGN_FUZZ)
        # Coverage instrumentation everywhere; the fuzz targets add the
        # libFuzzer main themselves with -fsanitize=fuzzer.
        target_compile_options(countersign_policy INTERFACE
            -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
        target_link_options(countersign_policy INTERFACE -fsanitize=address,undefined)
    endif()
    if(COUNTERSIGN_TSAN)
        if(COUNTERSIGN_SANITIZE)
            message(FATAL_ERROR "COUNTERSIGN_TSAN and COUNTERSIGN_SANITIZE cannot be combined")
        endif()
        # -Wno-tsan: GCC warns (an error with COUNTERSIGN_WERROR) at every
        # std::atomic_thread_fence, which TSan does not model. None is ours
        # (grep finds none in our sources); they come from Boost.Asio's
        # handler fences (detail/std_fenced_block.hpp) and reference counts
        # (detail/atomic_count.hpp), whose ordering rests on the scheduler's
        # mutex, which TSan does see. An ignored fence can only make TSan
        # miss an ordering (a false report), never hide a race; no
        # BOOST_ASIO_DISABLE_* macro, so the TSan build runs the same Asio
        # code as the release.
        target_compile_options(countersign_policy INTERFACE
            -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
        target_link_options(countersign_policy INTERFACE -fsanitize=thread)
        # Every executable gets a clone() that keeps Qt 6.4's QProcess from
        # starting children in the parent's memory, which corrupts TSan's
        # state of the parent (the file says how and why).
        target_sources(countersign_policy INTERFACE
            "$<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:${PROJECT_SOURCE_DIR}/tests/sanitizers/tsanclone.cpp>")
    endif()
    if(COUNTERSIGN_SANITIZE)
        target_compile_options(countersign_policy INTERFACE
            -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
        target_link_options(countersign_policy INTERFACE -fsanitize=address,undefined)
    endif()
endif()

set(CMAKE_POSITION_INDEPENDENT_CODE ON)
