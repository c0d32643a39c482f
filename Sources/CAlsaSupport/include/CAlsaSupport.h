/*
 * alsa-lib reports failures through a printf-style error handler that prints to stderr by default.
 * Swift cannot implement a variadic C callback, so this small C module installs one that formats
 * each message into a per-thread buffer; the Swift layer takes it from there and attaches it to the
 * AlsaError of the call that failed. Nothing is ever printed.
 */
#ifndef ALSASWIFT_CALSASUPPORT_H
#define ALSASWIFT_CALSASUPPORT_H

#include <stddef.h>

/* Installs the capturing handler in place of alsa-lib's default (stderr). Idempotent. */
void alsa_swift_capture_library_errors(void);

/*
 * Copies the last message alsa-lib reported on this thread into `out` (NUL-terminated, truncated to
 * `capacity`) and forgets it. Returns the message's length, or 0 when there was none.
 */
size_t alsa_swift_take_library_error(char *out, size_t capacity);

/* How many messages alsa-lib has reported in this process since the handler was installed. */
unsigned long alsa_swift_library_error_count(void);

#endif
