/*
 * Plain C loops of SampleConversion's rule, one sample at a time, left to the compiler to
 * vectorise (-O3 -march=native): the figure AlsaSwift's conversions are held against.
 *
 * The rule (SampleConversion's documentation): encoding multiplies by 2^(n-1), turns NaN into 0,
 * clips to the format's range and rounds to nearest, ties to even (rintf in the default rounding
 * mode); 32-bit codes clip at 2^31 - 128, the largest Float below 2^31, and anything at or above
 * 2^31 becomes INT32_MAX. Decoding multiplies the code by 2^-(n-1). Float formats pass the value
 * through. Contiguous and strided calls run the same loop; a contiguous one passes the sample's
 * width as a constant, so the compiler sees unit stride.
 */
#include "ConversionLoop.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float clipped(float v, float lo, float hi)
{
	v = v == v ? v : 0;
	v = v > hi ? hi : v;
	return v < lo ? lo : v;
}

/* Up to 24 bits: `full` is 2^(bits-1). */
static inline int32_t code(float x, float full) { return (int32_t)rintf(clipped(x * full, -full, full - 1)); }

static inline int32_t code32(float x)
{
	float v = x * 0x1p31f;
	int32_t c = (int32_t)rintf(clipped(v, -0x1p31f, 0x1p31f - 128));
	return v >= 0x1p31f ? INT32_MAX : c;
}

static inline void put16(unsigned char *p, uint32_t v, int big)
{
	uint16_t w = big ? __builtin_bswap16((uint16_t)v) : (uint16_t)v;
	memcpy(p, &w, 2);
}

static inline void put32(unsigned char *p, uint32_t v, int big)
{
	uint32_t w = big ? __builtin_bswap32(v) : v;
	memcpy(p, &w, 4);
}

static inline uint32_t get16(const unsigned char *p, int big)
{
	uint16_t w;
	memcpy(&w, p, 2);
	return big ? __builtin_bswap16(w) : w;
}

static inline uint32_t get32(const unsigned char *p, int big)
{
	uint32_t w;
	memcpy(&w, p, 4);
	return big ? __builtin_bswap32(w) : w;
}

/* Inlined into each format's case below, so that every loop is its own, with `format` a constant. */
static inline __attribute__((always_inline)) void encode_loop(int format, const float *in, unsigned char *out, long n, long stride)
{
	for (long i = 0; i < n; i++) {
		unsigned char *p = out + i * stride;
		float x = in[i];
		switch (format) {
		case 0: p[0] = (unsigned char)code(x, 0x1p7f); break;                                  /* S8 */
		case 1: p[0] = (unsigned char)(code(x, 0x1p7f) + 128); break;                          /* U8 */
		case 2: case 3: put16(p, (uint32_t)code(x, 0x1p15f), format == 3); break;              /* S16 */
		case 4: case 5: put16(p, (uint32_t)(code(x, 0x1p15f) + 32768), format == 5); break;    /* U16 */
		case 6: case 7: put32(p, (uint32_t)code(x, 0x1p23f), format == 7); break;              /* S24 in 32 */
		case 10: case 11: put32(p, (uint32_t)code32(x), format == 11); break;                  /* S32 */
		case 14: case 15: { uint32_t w; memcpy(&w, &x, 4); put32(p, w, format == 15); break; } /* FLOAT */
		case 16: { double d = x; memcpy(p, &d, 8); break; }                                    /* FLOAT64_LE */
		case 17: { double d = x; uint64_t w; memcpy(&w, &d, 8); w = __builtin_bswap64(w); memcpy(p, &w, 8); break; }
		case 32: { uint32_t c = (uint32_t)code(x, 0x1p23f); p[0] = (unsigned char)c; p[1] = (unsigned char)(c >> 8); p[2] = (unsigned char)(c >> 16); break; }
		case 33: { uint32_t c = (uint32_t)code(x, 0x1p23f); p[2] = (unsigned char)c; p[1] = (unsigned char)(c >> 8); p[0] = (unsigned char)(c >> 16); break; }
		}
	}
}

static inline __attribute__((always_inline)) void decode_loop(int format, const unsigned char *in, long stride, float *out, long n)
{
	for (long i = 0; i < n; i++) {
		const unsigned char *p = in + i * stride;
		float v = 0;
		switch (format) {
		case 0: v = (float)(int8_t)p[0] * 0x1p-7f; break;
		case 1: v = (float)((int32_t)p[0] - 128) * 0x1p-7f; break;
		case 2: case 3: v = (float)(int16_t)get16(p, format == 3) * 0x1p-15f; break;
		case 4: case 5: v = (float)((int32_t)get16(p, format == 5) - 32768) * 0x1p-15f; break;
		case 6: case 7: v = (float)((int32_t)(get32(p, format == 7) << 8) >> 8) * 0x1p-23f; break;
		case 10: case 11: v = (float)(int32_t)get32(p, format == 11) * 0x1p-31f; break;
		case 14: case 15: { uint32_t w = get32(p, format == 15); memcpy(&v, &w, 4); break; }
		case 16: case 17: {
			uint64_t w;
			double d;
			memcpy(&w, p, 8);
			if (format == 17)
				w = __builtin_bswap64(w);
			memcpy(&d, &w, 8);
			v = (float)d;
			break;
		}
		case 32: v = (float)((int32_t)((uint32_t)p[0] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 24) >> 8) * 0x1p-23f; break;
		case 33: v = (float)((int32_t)((uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24) >> 8) * 0x1p-23f; break;
		}
		out[i] = v;
	}
}

static int width(int format)
{
	switch (format) {
	case 0: case 1: return 1;
	case 2: case 3: case 4: case 5: return 2;
	case 32: case 33: return 3;
	case 6: case 7: case 10: case 11: case 14: case 15: return 4;
	case 16: case 17: return 8;
	default: return 0;
	}
}

/* Each format's loop twice: with its width as a constant stride, and with the caller's. */
#define EACH_FORMAT(loop, ...) \
	switch (format) { \
	case 0: loop(0, __VA_ARGS__); break; case 1: loop(1, __VA_ARGS__); break; \
	case 2: loop(2, __VA_ARGS__); break; case 3: loop(3, __VA_ARGS__); break; \
	case 4: loop(4, __VA_ARGS__); break; case 5: loop(5, __VA_ARGS__); break; \
	case 6: loop(6, __VA_ARGS__); break; case 7: loop(7, __VA_ARGS__); break; \
	case 10: loop(10, __VA_ARGS__); break; case 11: loop(11, __VA_ARGS__); break; \
	case 14: loop(14, __VA_ARGS__); break; case 15: loop(15, __VA_ARGS__); break; \
	case 16: loop(16, __VA_ARGS__); break; case 17: loop(17, __VA_ARGS__); break; \
	case 32: loop(32, __VA_ARGS__); break; case 33: loop(33, __VA_ARGS__); break; \
	}

#define ENCODE(f, in, out, n, stride) \
	(stride == width(f) ? encode_loop(f, in, out, n, width(f)) : encode_loop(f, in, out, n, stride))
#define DECODE(f, in, stride, out, n) \
	(stride == width(f) ? decode_loop(f, in, width(f), out, n) : decode_loop(f, in, stride, out, n))

int conversion_loop_encode(int format, const float *samples, void *bytes, long count, long stride)
{
	if (!width(format))
		return -1;
	EACH_FORMAT(ENCODE, samples, (unsigned char *)bytes, count, stride)
	return 0;
}

int conversion_loop_decode(int format, const void *bytes, long stride, float *samples, long count)
{
	if (!width(format))
		return -1;
	EACH_FORMAT(DECODE, (const unsigned char *)bytes, stride, samples, count)
	return 0;
}
