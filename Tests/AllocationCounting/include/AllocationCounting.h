/*
 * A per-thread count of heap allocations, for the unit tests that prove the audio path allocates
 * nothing (Tests/AlsaSwiftTests/Allocation). Linked into the test executable only: it defines
 * malloc and its relatives there, forwarding to glibc's own entry points (__libc_malloc...), and
 * counts each allocating call in a thread-local counter, so a test counts only its own thread
 * while swift-testing runs others in parallel.
 *
 * Not built under AddressSanitizer or ThreadSanitizer, whose runtimes interpose malloc
 * themselves, nor on a C library other than glibc: allocation_counting_built() is then 0 and the
 * counting tests skip.
 */
#ifndef ALSASWIFT_ALLOCATION_COUNTING_H
#define ALSASWIFT_ALLOCATION_COUNTING_H

/* 1 when this build defines the counting allocator, 0 under a sanitizer or off glibc. */
int allocation_counting_built(void);
/* Allocating calls (malloc, calloc, realloc, reallocarray, posix_memalign, aligned_alloc,
 * memalign, valloc, pvalloc) this thread has made outside a pause. Reading it allocates nothing. */
unsigned long allocation_count(void);
/* Stops counting this thread's calls until the matching resume (pauses nest): for work that is
 * not the code under test, such as a simulated kernel's model of the device. */
void allocation_counting_pause(void);
void allocation_counting_resume(void);
/* While on (nonzero), each allocation this thread counts also writes the thread's stack to
 * standard error: to find what allocated when a counting test fails. */
void allocation_counting_trace(int on);

#endif
