/*
 * The anchor for AlsaSwift's conversion throughput: plain C loops of the same rule as
 * SampleConversion (Float <-> every format it supports), built with -O3 -march=native
 * (Benchmarks/Package.swift), so the compiler may use every vector instruction of the machine it
 * runs on. `format` is the ALSA format number (SNDRV_PCM_FORMAT_*); a sample is `stride` bytes
 * after the previous one. Returns 0, or -1 for a format without a loop here.
 */
#ifndef ALSASWIFT_CONVERSION_LOOP_H
#define ALSASWIFT_CONVERSION_LOOP_H

int conversion_loop_encode(int format, const float *samples, void *bytes, long count, long stride);
int conversion_loop_decode(int format, const void *bytes, long stride, float *samples, long count);

#endif
