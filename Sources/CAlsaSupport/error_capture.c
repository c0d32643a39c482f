#include "CAlsaSupport.h"

#include <alsa/asoundlib.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/*
 * alsa-lib's thread-local error handler (snd_lib_error_set_local) is consulted by its default
 * process-wide handler only, so an application that installed a handler of its own keeps receiving
 * every message: AlsaSwift never replaces it. Each thread collects the messages of the alsa-lib
 * calls it makes inside a capture, all of them, in order.
 */
static _Thread_local char messages[2048];
static _Thread_local size_t length;
static _Thread_local unsigned depth;
static _Thread_local snd_local_error_handler_t outer;
static atomic_ulong message_count;

static void append(const char *fmt, ...)
{
	if (length >= sizeof(messages) - 1)
		return;
	va_list arguments;
	va_start(arguments, fmt);
	int used = vsnprintf(messages + length, sizeof(messages) - length, fmt, arguments);
	va_end(arguments);
	if (used > 0)
		length += (size_t)used < sizeof(messages) - length ? (size_t)used : sizeof(messages) - 1 - length;
}

static void capture(const char *file, int line, const char *function, int err, const char *fmt, va_list arguments)
{
	(void)file;
	(void)line;
	append("%s%s: ", length > 0 ? "; " : "", function ? function : "alsa-lib");
	if (length < sizeof(messages) - 1) {
		int used = vsnprintf(messages + length, sizeof(messages) - length, fmt, arguments);
		if (used > 0)
			length += (size_t)used < sizeof(messages) - length ? (size_t)used : sizeof(messages) - 1 - length;
	}
	if (err != 0)
		append(" (%s)", snd_strerror(err));
	atomic_fetch_add(&message_count, 1);
}

void alsa_swift_begin_capture(void)
{
	if (depth++ == 0) {
		length = 0;
		messages[0] = '\0';
		outer = snd_lib_error_set_local(capture);
	}
}

void alsa_swift_end_capture(void)
{
	if (depth > 0 && --depth == 0)
		snd_lib_error_set_local(outer);
}

size_t alsa_swift_take_library_error(char *out, size_t capacity)
{
	size_t taken = length;
	if (taken == 0 || capacity == 0)
		return 0;
	if (taken >= capacity)
		taken = capacity - 1;
	memcpy(out, messages, taken);
	out[taken] = '\0';
	length = 0;
	messages[0] = '\0';
	return taken;
}

unsigned long alsa_swift_library_error_count(void)
{
	return atomic_load(&message_count);
}
