/*
 * alsa-lib reports failures through a printf-style error handler that prints to stderr by default.
 * Swift cannot implement a variadic C callback, so this small C module gives alsa-lib a handler
 * for the calling thread only (alsa-lib's thread-local handler) that collects each message into a
 * per-thread buffer; the Swift layer takes them from there and attaches them to the AlsaError of the
 * call that failed. The process-wide handler is never touched: an application's own handler keeps
 * receiving every message, and with alsa-lib's default one nothing is printed while a capture runs.
 */
#ifndef ALSASWIFT_CALSASUPPORT_H
#define ALSASWIFT_CALSASUPPORT_H

#include <stddef.h>

/*
 * Starts collecting this thread's alsa-lib messages (forgetting earlier ones); nests. No allocation,
 * no lock: one thread-local store, so it may bracket calls on the audio path.
 */
void alsa_swift_begin_capture(void);

/* Ends the innermost capture; the outermost one restores the thread's previous local handler. */
void alsa_swift_end_capture(void);

/*
 * Copies the messages collected on this thread since the capture began or the last take, joined
 * by "; ", into `out` (NUL-terminated, truncated to `capacity`) and forgets them. Returns their
 * length, or 0 when there were none.
 */
size_t alsa_swift_take_library_error(char *out, size_t capacity);

/* How many messages alsa-lib has reported to a capture in this process. */
unsigned long alsa_swift_library_error_count(void);

#endif
