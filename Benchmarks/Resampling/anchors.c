/*
 * The anchors of the resampling benchmark: soxr (HQ, VHQ), libsamplerate (best, medium), speexdsp
 * (5, 10) and alsa-lib's `plug` with its default linear `rate` converter (over a `file` PCM on a
 * `null` slave, S32_LE at the output rate). For each converter and conversion it writes the
 * outputs of the test signals (signals.h) as raw mono float files, then times stereo Float
 * conversion (best of three passes over 10 s of input, 1024-frame chunks) and prints
 *   speed converter=NAME from=F to=T mframes=M
 * Benchmarks/Sources/resample-bench does the same for AlsaSwift's Resampler;
 * Benchmarks/Scripts/resampling.py measures the files.
 *
 *   anchors OUTDIR [speed]     (speed: the timing alone)
 */
#define _GNU_SOURCE
#include <alsa/asoundlib.h>
#include <samplerate.h>
#include <soxr.h>
#include <speex/speex_resampler.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "signals.h"

#define CHUNK 1024

typedef struct converter converter;
struct converter {
	const char *name;
	void *state;
	int channels;
	double from, to;
	/* Converts `frames` input frames (NULL: end of input) into out (room frames); returns frames written. */
	long (*process)(converter *c, const float *in, long frames, float *out, long room);
	void (*close)(converter *c);
	int arg;
};

/* soxr */
static long soxr_run(converter *c, const float *in, long frames, float *out, long room)
{
	size_t done = 0;
	soxr_process(c->state, in, in ? (size_t)frames : 0, NULL, out, (size_t)room, &done);
	return (long)done;
}
static void soxr_end(converter *c) { soxr_delete(c->state); }
static int soxr_open(converter *c)
{
	soxr_error_t error;
	soxr_quality_spec_t q = soxr_quality_spec((unsigned long)c->arg, 0);
	soxr_runtime_spec_t r = soxr_runtime_spec(1);
	c->state = soxr_create(c->from, c->to, (unsigned)c->channels, &error, NULL, &q, &r);
	c->process = soxr_run;
	c->close = soxr_end;
	return error ? -1 : 0;
}

/* libsamplerate */
static long src_run(converter *c, const float *in, long frames, float *out, long room)
{
	static const float none[2];
	SRC_DATA d = { .data_in = in ? in : none, .input_frames = in ? frames : 0, .data_out = out,
		       .output_frames = room, .src_ratio = c->to / c->from, .end_of_input = in == NULL };
	long total = 0;
	/* libsamplerate may take only part of the input: call again until it is all in. */
	do {
		if (src_process(c->state, &d))
			return -1;
		total += d.output_frames_gen;
		d.data_in += d.input_frames_used * c->channels;
		d.input_frames -= d.input_frames_used;
		d.data_out += d.output_frames_gen * c->channels;
		d.output_frames -= d.output_frames_gen;
	} while ((d.input_frames > 0 || (!in && d.output_frames_gen > 0)) && d.output_frames > 0);
	return total;
}
static void src_end(converter *c) { src_delete(c->state); }
static int src_open(converter *c)
{
	int error;
	c->state = src_new(c->arg, c->channels, &error);
	c->process = src_run;
	c->close = src_end;
	return c->state ? 0 : -1;
}

/* speexdsp */
static long speex_run(converter *c, const float *in, long frames, float *out, long room)
{
	static float zeros[CHUNK * 2];
	spx_uint32_t ilen, olen = (spx_uint32_t)room;
	long total = 0;
	if (!in) { /* speex has no flush: push its latency out with silence */
		ilen = (spx_uint32_t)speex_resampler_get_input_latency(c->state);
		speex_resampler_process_interleaved_float(c->state, zeros, &ilen, out, &olen);
		return olen;
	}
	while (frames > 0 && room > 0) {
		ilen = (spx_uint32_t)frames;
		olen = (spx_uint32_t)room;
		speex_resampler_process_interleaved_float(c->state, in, &ilen, out, &olen);
		in += ilen * c->channels; frames -= ilen;
		out += olen * c->channels; room -= olen; total += olen;
		if (!ilen && !olen)
			break;
	}
	return total;
}
static void speex_end(converter *c) { speex_resampler_destroy(c->state); }
static int speex_open(converter *c)
{
	int error;
	c->state = speex_resampler_init((spx_uint32_t)c->channels, (spx_uint32_t)c->from, (spx_uint32_t)c->to, c->arg, &error);
	if (c->state)
		speex_resampler_skip_zeros(c->state);
	c->process = speex_run;
	c->close = speex_end;
	return c->state ? 0 : -1;
}

/* alsa-lib: plug (linear rate) -> file (raw S32_LE) -> null. Output comes back through the file. */
typedef struct { snd_pcm_t *pcm; snd_config_t *config; char path[4096]; long read; } alsa_state;
static long alsa_run(converter *c, const float *in, long frames, float *out, long room)
{
	alsa_state *s = c->state;
	if (in && snd_pcm_writei(s->pcm, in, (snd_pcm_uframes_t)frames) != frames)
		return -1;
	if (!in)
		snd_pcm_drain(s->pcm);
	/* What the file plugin has written so far, as Float. */
	FILE *f = fopen(s->path, "rb");
	if (!f)
		return 0;
	fseek(f, s->read * 4 * c->channels, SEEK_SET);
	long n = 0;
	int32_t sample[8];
	while (n < room && fread(sample, 4, (size_t)c->channels, f) == (size_t)c->channels) {
		for (int ch = 0; ch < c->channels; ch++)
			out[n * c->channels + ch] = (float)sample[ch] / 2147483648.0f;
		n++;
	}
	fclose(f);
	s->read += n;
	return n;
}
static void alsa_end(converter *c)
{
	alsa_state *s = c->state;
	snd_pcm_close(s->pcm);
	snd_config_delete(s->config);
	unlink(s->path);
	free(s);
}
static int alsa_open(converter *c)
{
	alsa_state *s = calloc(1, sizeof(*s));
	char text[8192];
	snd_input_t *input;
	snprintf(s->path, sizeof(s->path), "%s/alsa-file-%d.raw", getenv("RESAMPLING_TMP") ? getenv("RESAMPLING_TMP") : "/tmp", getpid());
	unlink(s->path);
	snprintf(text, sizeof(text),
		 "pcm.bench { type plug rate_converter \"linear\" "
		 "slave { pcm { type file file \"%s\" format \"raw\" slave.pcm { type null } } "
		 "rate %d format S32_LE channels %d } }",
		 s->path, (int)c->to, c->channels);
	if (snd_config_top(&s->config) < 0 || snd_input_buffer_open(&input, text, (ssize_t)strlen(text)) < 0)
		return -1;
	if (snd_config_load(s->config, input) < 0)
		return -1;
	snd_input_close(input);
	if (snd_pcm_open_lconf(&s->pcm, "bench", SND_PCM_STREAM_PLAYBACK, 0, s->config) < 0)
		return -1;
	if (snd_pcm_set_params(s->pcm, SND_PCM_FORMAT_FLOAT_LE, SND_PCM_ACCESS_RW_INTERLEAVED, (unsigned)c->channels,
			       (unsigned)c->from, 1, 100000) < 0)
		return -1;
	c->state = s;
	c->process = alsa_run;
	c->close = alsa_end;
	return 0;
}

typedef struct { const char *name; int (*open)(converter *); int arg; } kind;
static const kind kinds[] = {
	{ "soxr-hq", soxr_open, SOXR_HQ },
	{ "soxr-vhq", soxr_open, SOXR_VHQ },
	{ "libsamplerate-best", src_open, SRC_SINC_BEST_QUALITY },
	{ "libsamplerate-medium", src_open, SRC_SINC_MEDIUM_QUALITY },
	{ "speexdsp-5", speex_open, 5 },
	{ "speexdsp-10", speex_open, 10 },
	{ "alsa-lib-linear", alsa_open, 0 },
};

static int make(const kind *k, int channels, int from, int to, converter *c)
{
	memset(c, 0, sizeof(*c));
	c->name = k->name; c->channels = channels; c->from = from; c->to = to; c->arg = k->arg;
	return k->open(c);
}

/* The whole signal through a new converter in CHUNK-frame pieces, then its end. */
static long convert(const kind *k, int channels, int from, int to, const float *in, long frames, float *out, long room)
{
	converter c;
	long made = 0;
	if (make(k, channels, from, to, &c) < 0) {
		fprintf(stderr, "%s: cannot convert %d -> %d\n", k->name, from, to);
		exit(1);
	}
	for (long at = 0; at < frames; at += CHUNK) {
		long n = frames - at < CHUNK ? frames - at : CHUNK;
		long m = c.process(&c, in + at * channels, n, out + made * channels, room - made);
		if (m < 0) { fprintf(stderr, "%s: conversion failed\n", k->name); exit(1); }
		made += m;
	}
	long m = c.process(&c, NULL, 0, out + made * channels, room - made);
	made += m > 0 ? m : 0;
	c.close(&c);
	return made;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) { fprintf(stderr, "usage: anchors OUTDIR [speed]\n"); return 2; }
	int speed_only = argc == 3 && !strcmp(argv[2], "speed");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		for (int v = 0; v < CONVERSIONS; v++) {
			int from = conversions[v][0], to = conversions[v][1];
			long frames = 0, room;
			for (int s = 0; s < SIGNALS && !speed_only; s++) {
				float *in = make_signal(s, from, to, &frames);
				if (i == 0)
					write_output(argv[1], "input", from, to, s, in, frames);
				room = frames * to / from + 65536;
				float *out = calloc((size_t)room, sizeof(float));
				long made = convert(&kinds[i], 1, from, to, in, frames, out, room);
				write_output(argv[1], kinds[i].name, from, to, s, out, made);
				free(in); free(out);
			}
			/* Speed: stereo Float, 10 s of a -1 dBFS sine, best of three. */
			frames = 10L * from;
			float *in = malloc((size_t)frames * 2 * sizeof(float));
			for (long f = 0; f < frames; f++)
				in[2 * f] = in[2 * f + 1] = (float)(SINE_PEAK * sin(2 * M_PI * 1000.0 * (double)f / from));
			room = frames * to / from + 65536;
			float *out = malloc((size_t)room * 2 * sizeof(float));
			double best = 1e9;
			for (int pass = 0; pass < 3; pass++) {
				double t0 = now();
				convert(&kinds[i], 2, from, to, in, frames, out, room);
				double t = now() - t0;
				if (t < best) best = t;
			}
			printf("speed converter=%s from=%d to=%d mframes=%.2f\n", kinds[i].name, from, to, (double)frames / best / 1e6);
			fflush(stdout);
			free(in); free(out);
		}
	}
	return 0;
}
