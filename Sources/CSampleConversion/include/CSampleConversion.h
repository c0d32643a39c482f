/*
 * SampleConversion's loops (Sources/AlsaSwift/Audio/SampleConversion.swift documents the rule and
 * validates every argument before calling here). C because Swift cannot compile one function for
 * more than the package's baseline target: each loop is built once per x86-64 level and the best
 * one the CPU runs is bound when the program starts, with no test or lock per call.
 *
 * `format` is the ALSA format number (SNDRV_PCM_FORMAT_*) of a format SampleConversion supports;
 * sample i is at `first + i * stride` (bytes). Nothing here allocates, locks or fails.
 */
#ifndef ALSASWIFT_CSAMPLECONVERSION_H
#define ALSASWIFT_CSAMPLECONVERSION_H

/* Float -> format, with the level the CPU was found to run. */
void alsa_sample_encode(int format, const float *samples, void *first, long count, long stride);
/* Format -> Float, with the level the CPU was found to run. */
void alsa_sample_decode(int format, const void *first, long stride, float *samples, long count);

/* The instruction-set levels, for tests that run every level this CPU has. Level 1 is the
 * baseline every x86-64 (and every other architecture) runs; on x86-64, 2 adds SSE4.1 (a
 * rounding instruction), 3 AVX2 and FMA, 4 AVX-512 (F, BW, DQ, VL). */
enum { ALSA_SAMPLE_LEVELS = 4 };
/* The level alsa_sample_encode/decode were bound to. */
int alsa_sample_level(void);
/* Whether this CPU (and its OS) runs `level`. */
int alsa_sample_level_supported(int level);
/* The loops of one level, which must be supported. */
void alsa_sample_encode_at(int level, int format, const float *samples, void *first, long count, long stride);
void alsa_sample_decode_at(int level, int format, const void *first, long stride, float *samples, long count);

#endif
