/*
 * An LD_PRELOAD interposer that counts heap allocations (malloc, calloc, realloc, posix_memalign,
 * aligned_alloc, memalign, valloc). Both benchmark loops, AlsaSwift's and the alsa-lib baseline,
 * read the count through malloc_count_calls() before and after their steady-state window, so the
 * two sides are counted the same way.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

static atomic_ulong calls;

unsigned long malloc_count_calls(void) { return atomic_load(&calls); }

/* dlsym itself may allocate (calloc) before the real calloc is known: serve those from a small arena. */
static char bootstrap[4096];
static size_t bootstrap_used;

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);
static void (*real_free)(void *);

static void resolve(void)
{
	static int resolving;
	if (real_malloc || resolving)
		return;
	resolving = 1;
	real_calloc = dlsym(RTLD_NEXT, "calloc");
	real_malloc = dlsym(RTLD_NEXT, "malloc");
	real_realloc = dlsym(RTLD_NEXT, "realloc");
	real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
	real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
	real_memalign = dlsym(RTLD_NEXT, "memalign");
	real_free = dlsym(RTLD_NEXT, "free");
	resolving = 0;
}

void *malloc(size_t size)
{
	resolve();
	atomic_fetch_add(&calls, 1);
	return real_malloc(size);
}

void *calloc(size_t count, size_t size)
{
	if (!real_calloc) {
		size_t bytes = (count * size + 15) & ~(size_t)15;
		if (bootstrap_used + bytes > sizeof(bootstrap))
			return NULL;
		void *p = bootstrap + bootstrap_used;
		bootstrap_used += bytes;
		return p;
	}
	atomic_fetch_add(&calls, 1);
	return real_calloc(count, size);
}

void *realloc(void *p, size_t size)
{
	resolve();
	atomic_fetch_add(&calls, 1);
	return real_realloc(p, size);
}

int posix_memalign(void **p, size_t alignment, size_t size)
{
	resolve();
	atomic_fetch_add(&calls, 1);
	return real_posix_memalign(p, alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size)
{
	resolve();
	atomic_fetch_add(&calls, 1);
	return real_aligned_alloc(alignment, size);
}

void *memalign(size_t alignment, size_t size)
{
	resolve();
	atomic_fetch_add(&calls, 1);
	return real_memalign(alignment, size);
}

void free(void *p)
{
	if ((char *)p >= bootstrap && (char *)p < bootstrap + sizeof(bootstrap))
		return;
	resolve();
	real_free(p);
}
