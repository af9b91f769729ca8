// Clang's thread-safety annotations (-Wthread-safety), as macros that are
// empty for other compilers. Members a mutex protects say so with
// WHARF_GUARDED_BY; the compiler then refuses code that touches them
// without the lock. See base/mutex.h for the annotated lock types.
#pragma once

#if defined(__clang__)
#define WHARF_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define WHARF_THREAD_ANNOTATION(x)
#endif

#define WHARF_CAPABILITY(name) WHARF_THREAD_ANNOTATION(capability(name))
#define WHARF_SCOPED_CAPABILITY WHARF_THREAD_ANNOTATION(scoped_lockable)
#define WHARF_GUARDED_BY(m) WHARF_THREAD_ANNOTATION(guarded_by(m))
#define WHARF_PT_GUARDED_BY(m) WHARF_THREAD_ANNOTATION(pt_guarded_by(m))
#define WHARF_REQUIRES(...) WHARF_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define WHARF_REQUIRES_SHARED(...) WHARF_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define WHARF_ACQUIRE(...) WHARF_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define WHARF_ACQUIRE_SHARED(...) WHARF_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define WHARF_RELEASE(...) WHARF_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define WHARF_RELEASE_SHARED(...) WHARF_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define WHARF_RELEASE_GENERIC(...) WHARF_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))
#define WHARF_EXCLUDES(...) WHARF_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define WHARF_ASSERT_CAPABILITY(x) WHARF_THREAD_ANNOTATION(assert_capability(x))
#define WHARF_RETURN_CAPABILITY(x) WHARF_THREAD_ANNOTATION(lock_returned(x))
#define WHARF_NO_THREAD_SAFETY_ANALYSIS WHARF_THREAD_ANNOTATION(no_thread_safety_analysis)
