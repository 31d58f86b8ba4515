// Linked into every executable of a ThreadSanitizer build
// (COUNTERSIGN_TSAN, cmake/CountersignPolicy.cmake); never into a shipped
// build.
//
// Qt 6.4's QProcess starts children with vfork semantics: glibc's clone()
// with CLONE_VM | CLONE_VFORK (3rdparty forkfd), the child running in the
// parent's memory until it execs. GCC 12's libtsan intercepts clone() and
// treats it as a fork: in the child it switches the calling thread to
// "ignore everything" and marks the process as forked, which with CLONE_VM
// is the parent's own memory. From then on the parent's thread that
// started the process is silently not checked (a race right after a
// QProcess start is not reported; checked with a two-line program), and
// its next thread creation dies with "starting new threads after
// multi-threaded fork is not supported". Qt 6.5 and later do not use vfork
// under sanitizers for this reason; this does the same for Qt 6.4: the
// clone keeps CLONE_VFORK (the parent still waits for the exec) but drops
// CLONE_VM, so the child works on a copy, as after fork(), and TSan's
// bookkeeping stays in the child.

#include <cstdarg>
#include <dlfcn.h>
#include <sched.h>
#include <sys/types.h>

extern "C" int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...) noexcept
{
    // glibc reads these three only for the flags that need them; passed on
    // as they came.
    va_list rest;
    va_start(rest, arg);
    auto *parentTid = va_arg(rest, pid_t *);
    void *tls = va_arg(rest, void *);
    auto *childTid = va_arg(rest, pid_t *);
    va_end(rest);

    using Clone = int (*)(int (*)(void *), void *, int, void *, ...);
    // The next clone after this executable: libtsan's interceptor, which
    // then sees an ordinary fork.
    static const auto next = reinterpret_cast<Clone>(dlsym(RTLD_NEXT, "clone"));
    if ((flags & CLONE_VM) != 0 && (flags & CLONE_VFORK) != 0)
        flags &= ~CLONE_VM;
    return next(fn, stack, flags, arg, parentTid, tls, childTid);
}
