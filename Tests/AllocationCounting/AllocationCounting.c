/*
 * See include/AllocationCounting.h. The allocator functions defined here are in the test
 * executable, which exports them (shared libraries reference them), so they interpose for the
 * whole process: the Swift runtime, Foundation, soxr and glibc itself call them. They forward to
 * the __libc_* entry points, glibc's allocator under its other names, so no dlsym bootstrap is
 * needed and every pointer, counted or not, belongs to the one heap.
 */
#include "AllocationCounting.h"

#include <errno.h> /* and with it <features.h>, which defines __GLIBC__ */
#include <stddef.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ALLOCATION_COUNTING_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ALLOCATION_COUNTING_SANITIZED 1
#endif

#if defined(ALLOCATION_COUNTING_SANITIZED) || !defined(__GLIBC__)
/* The sanitizer's runtime owns malloc (or the C library has no __libc_* entry points): nothing
 * is counted. */
int allocation_counting_built(void) { return 0; }
void allocation_counting_trace(int on) { (void)on; }
unsigned long allocation_count(void) { return 0; }
void allocation_counting_pause(void) {}
void allocation_counting_resume(void) {}
#else
#include <execinfo.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

/* initial-exec: the executable's own TLS block, read at a fixed offset from the thread pointer.
 * The general model could call __tls_get_addr, which may allocate, from inside malloc. */
#define THREAD_LOCAL __thread __attribute__((tls_model("initial-exec")))
static THREAD_LOCAL unsigned long count;
static THREAD_LOCAL unsigned long paused;

static THREAD_LOCAL int tracing;

/* This thread's stack, on standard error, for an allocation counted while tracing. backtrace()
 * itself may allocate (it loads libgcc_s the first time): paused, that is neither counted nor
 * traced. */
static void trace(void)
{
	paused++;
	void *frames[48];
	int depth = backtrace(frames, 48);
	static const char marker[] = "== counted allocation:\n";
	(void)!write(2, marker, sizeof marker - 1);
	backtrace_symbols_fd(frames, depth, 2);
	paused--;
}

static inline void counted(void)
{
	if (!paused) {
		count++;
		if (tracing)
			trace();
	}
}

int allocation_counting_built(void) { return 1; }
void allocation_counting_trace(int on) { tracing = on; }
unsigned long allocation_count(void) { return count; }
void allocation_counting_pause(void) { paused++; }
void allocation_counting_resume(void)
{
	if (paused)
		paused--;
}

void *malloc(size_t size)
{
	counted();
	return __libc_malloc(size);
}

void *calloc(size_t elements, size_t size)
{
	counted();
	return __libc_calloc(elements, size);
}

void *realloc(void *pointer, size_t size)
{
	/* realloc(p, 0) frees p (glibc) and returns NULL: no allocation. */
	if (size != 0 || !pointer)
		counted();
	return __libc_realloc(pointer, size);
}

void *reallocarray(void *pointer, size_t elements, size_t size)
{
	size_t bytes;
	if (__builtin_mul_overflow(elements, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(pointer, bytes);
}

void free(void *pointer) { __libc_free(pointer); }

void *memalign(size_t alignment, size_t size)
{
	counted();
	return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size)
{
	counted();
	return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size)
{
	/* A power of two and a multiple of sizeof(void *), as glibc's own checks: a refused
	 * alignment allocates nothing and is not counted. */
	if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0)
		return EINVAL;
	counted();
	int saved = errno;
	void *pointer = __libc_memalign(alignment, size);
	if (!pointer) {
		errno = saved;
		return ENOMEM;
	}
	*result = pointer;
	return 0;
}

void *valloc(size_t size)
{
	counted();
	return __libc_valloc(size);
}

void *pvalloc(size_t size)
{
	counted();
	return __libc_pvalloc(size);
}
#endif
