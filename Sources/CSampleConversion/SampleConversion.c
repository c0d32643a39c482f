/*
 * The conversion loops, one sample at a time in the source and vectorised by the compiler, once
 * per instruction-set level (see the header). The rule is SampleConversion's documentation; the
 * arithmetic below is that rule, bit for bit, at every level:
 *
 * - Codes of up to 16 bits: after the clip |v| <= 2^15, so v + 1.5*2^23 lies in [2^23, 2^24), where
 *   Floats are exactly the integers; the addition rounds v to nearest, ties to even (the FPU's
 *   default mode, which the whole rule assumes), and the sum's bit pattern is 0x4B400000 + round(v).
 *   Two instructions at any level, so every level uses it.
 * - 24- and 32-bit codes reach 2^23 and beyond, too far for that. With a rounding instruction
 *   (SSE4.1 and later, every other architecture) they are rintf; on baseline x86-64 rintf is a call
 *   per sample, so there the magnitude is rounded instead: |v| + 2^23 - 2^23 for |v| < 2^23 (exact,
 *   Floats in [2^23, 2^24) being the integers), |v| itself above (already an integer), and the
 *   sign put back. Both give the same integer; the conversion to int32 is then exact.
 * - NaN becomes 0 before the clip (a NaN fails both comparisons of a clip and would pass through).
 * - 32-bit codes clip at 2^31 - 128, the largest Float below 2^31; anything at or above 2^31 is
 *   INT32_MAX.
 * - Decoding converts the code to Float (exact up to 24 bits, one rounding to nearest for 32) and
 *   multiplies by 2^-(n-1), which is exact.
 *
 * Floating-point contraction is off: no multiply and add here may be fused into one rounding.
 */
#include "CSampleConversion.h"

#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#pragma STDC FP_CONTRACT OFF

#define INLINE static inline __attribute__((always_inline))

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_BIG 1
#else
#define HOST_BIG 0
#endif

/* ---- One sample ---------------------------------------------------------------------------- */

INLINE float clipped(float v, float lo, float hi)
{
	v = v == v ? v : 0.0f;
	v = v > hi ? hi : v;
	return v < lo ? lo : v;
}

/* Up to 16 bits; `full` is 2^(bits-1). */
INLINE int32_t code_small(float x, float full)
{
	float sum = clipped(x * full, -full, full - 1) + 0x1.8p23f;
	int32_t bits;
	memcpy(&bits, &sum, 4);
	return bits - 0x4B400000;
}

/* An integral Float's int32, v rounded to nearest even first; |v| <= 2^31 - 128. */
INLINE int32_t rounded(float v, int has_round)
{
	if (has_round)
		return (int32_t)__builtin_rintf(v);
	float magnitude = __builtin_fabsf(v);
	float whole = magnitude < 0x1p23f ? (magnitude + 0x1p23f) - 0x1p23f : magnitude;
	return (int32_t)__builtin_copysignf(whole, v);
}

INLINE int32_t code24(float x, int has_round)
{
	return rounded(clipped(x * 0x1p23f, -0x1p23f, 0x1p23f - 1), has_round);
}

INLINE int32_t code32(float x, int has_round)
{
	float v = x * 0x1p31f;
	int32_t code = rounded(clipped(v, -0x1p31f, 0x1p31f - 128), has_round);
	return v >= 0x1p31f ? INT32_MAX : code;
}

/* Device words in the format's byte order, unaligned. */
INLINE void put16(unsigned char *p, uint32_t v, int big)
{
	uint16_t w = (uint16_t)v;
	if (big != HOST_BIG)
		w = __builtin_bswap16(w);
	memcpy(p, &w, 2);
}

INLINE void put32(unsigned char *p, uint32_t v, int big)
{
	if (big != HOST_BIG)
		v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
}

INLINE void put64(unsigned char *p, uint64_t v, int big)
{
	if (big != HOST_BIG)
		v = __builtin_bswap64(v);
	memcpy(p, &v, 8);
}

INLINE uint32_t get16(const unsigned char *p, int big)
{
	uint16_t w;
	memcpy(&w, p, 2);
	return big != HOST_BIG ? __builtin_bswap16(w) : w;
}

INLINE uint32_t get32(const unsigned char *p, int big)
{
	uint32_t w;
	memcpy(&w, p, 4);
	return big != HOST_BIG ? __builtin_bswap32(w) : w;
}

INLINE uint64_t get64(const unsigned char *p, int big)
{
	uint64_t w;
	memcpy(&w, p, 8);
	return big != HOST_BIG ? __builtin_bswap64(w) : w;
}

/* ---- The loops: `format` is a constant wherever they are inlined --------------------------- */

INLINE void encode_loop(int format, const float *in, unsigned char *out, long count, long stride, int has_round)
{
	for (long i = 0; i < count; i++) {
		unsigned char *p = out + i * stride;
		float x = in[i];
		uint32_t bits;
		double wide = x;
		uint64_t wide_bits;
		switch (format) {
		case 0: p[0] = (unsigned char)code_small(x, 0x1p7f); break;                          /* S8 */
		case 1: p[0] = (unsigned char)(code_small(x, 0x1p7f) + 128); break;                  /* U8 */
		case 2: case 3: put16(p, (uint32_t)code_small(x, 0x1p15f), format == 3); break;      /* S16 */
		case 4: case 5: put16(p, (uint32_t)code_small(x, 0x1p15f) + 32768, format == 5); break; /* U16 */
		/* S24 in 32 bits: a negative code's bit pattern is already sign-extended into the top byte. */
		case 6: case 7: put32(p, (uint32_t)code24(x, has_round), format == 7); break;
		case 10: case 11: put32(p, (uint32_t)code32(x, has_round), format == 11); break;     /* S32 */
		case 14: case 15: memcpy(&bits, &x, 4); put32(p, bits, format == 15); break;          /* FLOAT */
		case 16: case 17: memcpy(&wide_bits, &wide, 8); put64(p, wide_bits, format == 17); break; /* FLOAT64 */
		case 32: case 33: {                                                                  /* S24_3 */
			uint32_t code = (uint32_t)code24(x, has_round);
			p[format == 32 ? 0 : 2] = (unsigned char)code;
			p[1] = (unsigned char)(code >> 8);
			p[format == 32 ? 2 : 0] = (unsigned char)(code >> 16);
			break;
		}
		}
	}
}

/* An integer format's code, sign-extended (unsigned formats offset to signed). */
INLINE int32_t decode_code(int format, const unsigned char *p)
{
	switch (format) {
	case 0: return (int8_t)p[0];
	case 1: return (int32_t)p[0] - 128;
	case 2: case 3: return (int16_t)get16(p, format == 3);
	case 4: case 5: return (int32_t)get16(p, format == 5) - 32768;
	/* The low 24 bits shifted to the top and back: sign-extended, the top byte dropped. */
	case 6: case 7: return (int32_t)(get32(p, format == 7) << 8) >> 8;
	case 10: case 11: return (int32_t)get32(p, format == 11);
	/* Packed 24 bits, read as the four bytes ending with the sample: the byte before belongs to the
	 * previous sample or the gap after it, so the read stays inside the area (decode_all takes the
	 * first sample apart), and the shifts drop it and sign-extend. */
	case 32: return (int32_t)get32(p - 1, 0) >> 8;
	default: return (int32_t)(get32(p - 1, 1) << 8) >> 8;
	}
}

/* The first sample of a packed 24-bit area, which has no byte before it. */
INLINE float decode_first_packed(int format, const unsigned char *p)
{
	uint32_t low = p[format == 32 ? 0 : 2], high = p[format == 32 ? 2 : 0];
	return (float)((int32_t)(low << 8 | (uint32_t)p[1] << 16 | high << 24) >> 8) * 0x1p-23f;
}

/* One code's value: 2^-(n-1). */
INLINE float step(int format)
{
	switch (format) {
	case 0: case 1: return 0x1p-7f;
	case 2: case 3: case 4: case 5: return 0x1p-15f;
	case 10: case 11: return 0x1p-31f;
	default: return 0x1p-23f;
	}
}

INLINE float decode_one(int format, const unsigned char *p)
{
	uint32_t bits;
	uint64_t wide_bits;
	float v;
	double wide;
	switch (format) {
	case 14: case 15: bits = get32(p, format == 15); memcpy(&v, &bits, 4); return v;
	case 16: case 17: wide_bits = get64(p, format == 17); memcpy(&wide, &wide_bits, 8); return (float)wide;
	default: return (float)decode_code(format, p) * step(format);
	}
}

INLINE void decode_loop(int format, const unsigned char *in, long stride, float *out, long count)
{
	for (long i = 0; i < count; i++)
		out[i] = decode_one(format, in + i * stride);
}

INLINE long width(int format)
{
	switch (format) {
	case 0: case 1: return 1;
	case 2: case 3: case 4: case 5: return 2;
	case 32: case 33: return 3;
	case 16: case 17: return 8;
	default: return 4;
	}
}

/* Each format's loops, inlined with the format a constant: a contiguous one (the stride a constant
 * too, so the compiler loads and stores whole vectors) and a strided one. */
#define EACH_FORMAT(loop) \
	switch (format) { \
	case 0: loop(0); break; case 1: loop(1); break; case 2: loop(2); break; case 3: loop(3); break; \
	case 4: loop(4); break; case 5: loop(5); break; case 6: loop(6); break; case 7: loop(7); break; \
	case 10: loop(10); break; case 11: loop(11); break; case 14: loop(14); break; case 15: loop(15); break; \
	case 16: loop(16); break; case 17: loop(17); break; case 32: loop(32); break; case 33: loop(33); break; \
	}

/* Encoding a strided area goes through a small contiguous block: the contiguous loop converts
 * ENCODE_BLOCK samples there, whole vectors at a time, and they are moved out one by one, so the
 * arithmetic is vectorised whatever the stride. The last few samples take the same arithmetic one
 * at a time. FLOAT_LE, FLOAT_BE and FLOAT64_LE, with next to nothing to compute, measured faster
 * moved directly, one sample at a time; FLOAT64_BE (a widening and a 64-bit swap) through blocks. */
enum { ENCODE_BLOCK = 32 };

INLINE void encode_strided(int format, const float *samples, unsigned char *out, long count, long stride, int has_round)
{
	long w = width(format), i = 0;
	for (; i + ENCODE_BLOCK <= count; i += ENCODE_BLOCK) {
		unsigned char block[ENCODE_BLOCK * 8];
		encode_loop(format, samples + i, block, ENCODE_BLOCK, w, has_round);
		for (long k = 0; k < ENCODE_BLOCK; k++)
			memcpy(out + (i + k) * stride, block + k * w, (size_t)w);
	}
	encode_loop(format, samples + i, out + i * stride, count - i, stride, has_round);
}

/* Decoding a strided area (and a contiguous packed 24-bit one, which the compiler vectorises badly)
 * loads each sample's word into a lane of a vector of DECODE_LANES and converts the whole vector:
 * the same conversion and scale as decode_one. The last few samples go through decode_one. */
#define DECODE_LANES 16
typedef int32_t codes_t __attribute__((vector_size(DECODE_LANES * 4)));
typedef float floats_t __attribute__((vector_size(DECODE_LANES * 4)));
typedef double doubles_t __attribute__((vector_size(DECODE_LANES * 8)));
INLINE void decode_strided(int format, const unsigned char *in, long stride, float *samples, long count)
{
	long i = 0;
	for (; i + DECODE_LANES <= count; i += DECODE_LANES) {
		floats_t v;
		/* Each lane's address goes through an empty asm, so each stays a plain load: the compiler
		 * would otherwise make the lanes one gather instruction, measured up to 30 times slower. */
		const unsigned char *lane[DECODE_LANES];
		for (int k = 0; k < DECODE_LANES; k++) {
			lane[k] = in + (i + k) * stride;
			__asm__("" : "+r"(lane[k]));
		}
		if (format == 16 || format == 17) {
			doubles_t wide;
			for (int k = 0; k < DECODE_LANES; k++) {
				uint64_t bits = get64(lane[k], format == 17);
				double d;
				memcpy(&d, &bits, 8);
				wide[k] = d;
			}
			v = __builtin_convertvector(wide, floats_t);
		} else {
			codes_t codes;
			for (int k = 0; k < DECODE_LANES; k++)
				codes[k] = format == 14 || format == 15 ? (int32_t)get32(lane[k], format == 15) : decode_code(format, lane[k]);
			if (format == 14 || format == 15)
				memcpy(&v, &codes, sizeof v);
			else
				v = __builtin_convertvector(codes, floats_t) * step(format);
		}
		memcpy(samples + i, &v, sizeof v);
	}
	decode_loop(format, in + i * stride, stride, samples + i, count - i);
}

INLINE void encode_all(int format, const float *samples, void *first, long count, long stride, int has_round)
{
	unsigned char *out = first;
	if (count <= 0)
		return;
	if (format == 14 + HOST_BIG && stride == 4) {
		memcpy(out, samples, (size_t)count * 4);
		return;
	}
#define ENCODE(f) \
	(stride == width(f) ? encode_loop(f, samples, out, count, width(f), has_round) \
	 : f >= 14 && f <= 16 ? encode_loop(f, samples, out, count, stride, has_round) \
			      : encode_strided(f, samples, out, count, stride, has_round))
	EACH_FORMAT(ENCODE)
#undef ENCODE
}

INLINE void decode_all(int format, const void *first, long stride, float *samples, long count)
{
	const unsigned char *in = first;
	if (count <= 0)
		return;
	if (format == 14 + HOST_BIG && stride == 4) {
		memcpy(samples, in, (size_t)count * 4);
		return;
	}
	if (format == 32 || format == 33) {
		samples[0] = decode_first_packed(format, in);
		in += stride;
		samples++;
		count--;
	}
#define DECODE(f) \
	(stride == width(f) && f != 32 && f != 33 ? decode_loop(f, in, width(f), samples, count) \
						 : decode_strided(f, in, stride, samples, count))
	EACH_FORMAT(DECODE)
#undef DECODE
}

/* ---- The levels ---------------------------------------------------------------------------- */

typedef void encode_fn(int, const float *, void *, long, long);
typedef void decode_fn(int, const void *, long, float *, long);

#define LEVEL(n, attributes, has_round) \
	attributes static void encode_##n(int format, const float *samples, void *first, long count, long stride) \
	{ \
		encode_all(format, samples, first, count, stride, has_round); \
	} \
	attributes static void decode_##n(int format, const void *first, long stride, float *samples, long count) \
	{ \
		decode_all(format, first, stride, samples, count); \
	}

#if defined(__x86_64__)
LEVEL(1, , 0)
LEVEL(2, __attribute__((target("sse4.1,sse4.2,ssse3,popcnt"))), 1)
LEVEL(3, __attribute__((target("avx2,fma,bmi,bmi2,f16c,lzcnt,movbe,popcnt"))), 1)
LEVEL(4, __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512cd,avx2,fma,bmi,bmi2,f16c,lzcnt,movbe,popcnt"),
			 min_vector_width(512))), 1)

static unsigned long long enabled_state(void)
{
	unsigned lo, hi;
	__asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (unsigned long long)hi << 32 | lo;
}

/* cpuid, and xgetbv for the registers the OS saves: AVX needs XMM and YMM state (bits 1, 2),
 * AVX-512 the opmask and ZMM state too (5, 6, 7). */
static int detected_level(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 1;
	unsigned need2 = bit_SSE4_1 | bit_SSE4_2 | bit_SSSE3 | bit_POPCNT;
	if ((c & need2) != need2)
		return 1;
	unsigned need3 = bit_AVX | bit_OSXSAVE | bit_FMA | bit_F16C | bit_MOVBE;
	unsigned b7, c7, d7, ext_c, ext_d;
	if ((c & need3) != need3 || !__get_cpuid_count(7, 0, &a, &b7, &c7, &d7)
	    || !__get_cpuid(0x80000001, &a, &b, &ext_c, &ext_d) || !(ext_c & bit_LZCNT))
		return 2;
	unsigned need3_7 = bit_AVX2 | bit_BMI | bit_BMI2;
	unsigned long long state = enabled_state();
	if ((b7 & need3_7) != need3_7 || (state & 0x6) != 0x6)
		return 2;
	unsigned need4 = bit_AVX512F | bit_AVX512BW | bit_AVX512DQ | bit_AVX512VL | bit_AVX512CD;
	if ((b7 & need4) != need4 || (state & 0xE6) != 0xE6)
		return 3;
	return 4;
}

static encode_fn *const encoders[] = {encode_1, encode_2, encode_3, encode_4};
static decode_fn *const decoders[] = {decode_1, decode_2, decode_3, decode_4};

/* Bound once, before main (or when a program loads the library), by a constructor: a call is then
 * one indirect jump, with nothing tested per call. The baseline until then, so a call can never
 * find nothing bound. (A constructor rather than a GNU ifunc: an ifunc resolver runs before the
 * sanitizers' runtimes are set up, and an instrumented one crashes there.) Written before any
 * thread exists and only read after. */
static int bound_level = 1;
static encode_fn *bound_encode = encode_1;
static decode_fn *bound_decode = decode_1;

__attribute__((constructor)) static void bind_best_level(void)
{
	bound_level = detected_level();
	bound_encode = encoders[bound_level - 1];
	bound_decode = decoders[bound_level - 1];
}

void alsa_sample_encode(int format, const float *samples, void *first, long count, long stride)
{
	bound_encode(format, samples, first, count, stride);
}

void alsa_sample_decode(int format, const void *first, long stride, float *samples, long count)
{
	bound_decode(format, first, stride, samples, count);
}

int alsa_sample_level(void) { return bound_level; }
int alsa_sample_level_supported(int level) { return level >= 1 && level <= detected_level(); }

void alsa_sample_encode_at(int level, int format, const float *samples, void *first, long count, long stride)
{
	encoders[level - 1](format, samples, first, count, stride);
}

void alsa_sample_decode_at(int level, int format, const void *first, long stride, float *samples, long count)
{
	decoders[level - 1](format, first, stride, samples, count);
}
#else
/* Every other architecture has a vectorisable rounding instruction in its baseline. */
LEVEL(1, , 1)

void alsa_sample_encode(int format, const float *samples, void *first, long count, long stride)
{
	encode_1(format, samples, first, count, stride);
}

void alsa_sample_decode(int format, const void *first, long stride, float *samples, long count)
{
	decode_1(format, first, stride, samples, count);
}

int alsa_sample_level(void) { return 1; }
int alsa_sample_level_supported(int level) { return level == 1; }
void alsa_sample_encode_at(int level, int format, const float *samples, void *first, long count, long stride)
{
	(void)level;
	encode_1(format, samples, first, count, stride);
}
void alsa_sample_decode_at(int level, int format, const void *first, long stride, float *samples, long count)
{
	(void)level;
	decode_1(format, first, stride, samples, count);
}
#endif
