/* The test signals of the resampling benchmark, 2 s each, mono, at the input rate. Written to
 * OUTDIR/input_FROM_TO_SIGNAL.f32 by anchors.c, which AlsaSwift's side reads back. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define CONVERSIONS 3
static const int conversions[CONVERSIONS][2] = { { 44100, 48000 }, { 48000, 44100 }, { 96000, 44100 } };
#define SIGNALS 3
static const char *const signal_names[SIGNALS] = { "sine", "sweep", "multitone" };
#define SINE_PEAK 0.8912509381337456 /* -1 dBFS */
#define TONE_SPACING 50              /* Hz, multitone */

/* sine: 1 kHz at -1 dBFS. sweep: a linear chirp at 0.5 over the band that must not come out
 * (downsampling: from the output's Nyquist frequency up; upsampling: the whole input band, whose
 * images above it must not come out). multitone: every TONE_SPACING Hz up to 0.999 of the lower
 * Nyquist frequency, Schroeder phases (low crest factor), 0.015 each. */
static float *make_signal(int s, int from, int to, long *frames)
{
	long n = 2L * from;
	float *x = calloc((size_t)n, sizeof(float));
	double lower = (from < to ? from : to) / 2.0;
	if (s == 0) {
		for (long k = 0; k < n; k++)
			x[k] = (float)(SINE_PEAK * sin(2 * M_PI * 1000.0 * (double)k / from));
	} else if (s == 1) {
		double f0 = to < from ? to / 2.0 : 20.0, f1 = 0.995 * from / 2.0, T = (double)n / from;
		for (long k = 0; k < n; k++) {
			double t = (double)k / from;
			x[k] = (float)(0.5 * sin(2 * M_PI * (f0 * t + (f1 - f0) * t * t / (2 * T))));
		}
	} else {
		int tones = (int)(0.999 * lower / TONE_SPACING);
		for (int j = 1; j <= tones; j++) {
			double phase = M_PI * (double)j * (double)j / tones;
			for (long k = 0; k < n; k++)
				x[k] += (float)(0.015 * sin(2 * M_PI * j * TONE_SPACING * (double)k / from + phase));
		}
	}
	*frames = n;
	return x;
}

static void write_output(const char *dir, const char *name, int from, int to, int s, const float *x, long n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s_%d_%d_%s.f32", dir, name, from, to, signal_names[s]);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(x, sizeof(float), (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
	fclose(f);
}
