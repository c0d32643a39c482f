#include "CAlsaSupport.h"

#include <alsa/asoundlib.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* alsa-lib may call the handler from any thread that uses it; each keeps its own last message. */
static _Thread_local char last_message[512];
static _Thread_local size_t last_length;
static atomic_ulong message_count;

static void capture(const char *file, int line, const char *function, int err, const char *fmt, ...)
{
	(void)file;
	(void)line;
	int used = snprintf(last_message, sizeof(last_message), "%s: ", function ? function : "alsa-lib");
	if (used < 0)
		used = 0;
	if ((size_t)used >= sizeof(last_message))
		used = sizeof(last_message) - 1;
	va_list arguments;
	va_start(arguments, fmt);
	vsnprintf(last_message + used, sizeof(last_message) - (size_t)used, fmt, arguments);
	va_end(arguments);
	if (err != 0) {
		size_t length = strlen(last_message);
		snprintf(last_message + length, sizeof(last_message) - length, " (%s)", snd_strerror(err));
	}
	last_length = strlen(last_message);
	atomic_fetch_add(&message_count, 1);
}

void alsa_swift_capture_library_errors(void)
{
	snd_lib_error_set_handler(capture);
}

size_t alsa_swift_take_library_error(char *out, size_t capacity)
{
	size_t length = last_length;
	if (length == 0 || capacity == 0)
		return 0;
	if (length >= capacity)
		length = capacity - 1;
	memcpy(out, last_message, length);
	out[length] = '\0';
	last_length = 0;
	return length;
}

unsigned long alsa_swift_library_error_count(void)
{
	return atomic_load(&message_count);
}
