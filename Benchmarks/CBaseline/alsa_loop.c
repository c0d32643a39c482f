/*
 * The alsa-lib side of AlsaSwift's benchmarks: the same transfer loop as Benchmarks/AlsaLoop, period
 * by period, through alsa-lib. S16_LE stereo, 48 kHz, the given period size, 4 periods.
 *
 *   alsa-loop-c DEVICE mmap|rw playback|capture PERIODS [--warmup N] [--period F] [--sync-ptr]
 *              [--seconds S] [--stop-on-xrun]
 *   alsa-loop-c --convert FORMAT SAMPLES     (conversion throughput FLOAT_LE <-> FORMAT, contiguous and
 *                                             strided: two lines)
 *
 * Prints one line: key=value pairs. Heap allocations in the steady window are counted when
 * libmalloccount.so is preloaded (malloc_count_calls), as for the Swift loop.
 */
#define _GNU_SOURCE
#include <alsa/asoundlib.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

static unsigned long (*allocations)(void);

static unsigned long allocation_count(void) { return allocations ? allocations() : 0; }

static int check(int err, const char *what)
{
	if (err < 0) {
		fprintf(stderr, "%s: %s\n", what, snd_strerror(err));
		exit(1);
	}
	return err;
}

/* This thread's CPU time: conversion rounds are timed by it on both sides, so that the turns the
 * scheduler gives other processes on a shared host are not counted. */
static double thread_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* A configuration tree holding just `text` (alsa-lib's configuration syntax). */
static snd_config_t *load_config(const char *text)
{
	snd_config_t *config;
	snd_input_t *input;
	check(snd_config_top(&config), "snd_config_top");
	check(snd_input_buffer_open(&input, text, strlen(text)), "snd_input_buffer_open");
	check(snd_config_load(config, input), "snd_config_load");
	snd_input_close(input);
	return config;
}

static snd_pcm_t *open_pcm(const char *device, snd_pcm_stream_t stream, int sync_ptr)
{
	snd_pcm_t *pcm;
	if (!sync_ptr) {
		check(snd_pcm_open(&pcm, device, stream, 0), "snd_pcm_open");
		return pcm;
	}
	/* The hw plugin's sync_ptr_ioctl option forces SYNC_PTR for both records. */
	int card = 0, dev = 0;
	sscanf(device, "hw:%d,%d", &card, &dev);
	char text[256];
	snprintf(text, sizeof(text), "pcm.forced { type hw card %d device %d sync_ptr_ioctl 1 }", card, dev);
	check(snd_pcm_open_lconf(&pcm, "forced", stream, 0, load_config(text)), "snd_pcm_open_lconf");
	return pcm;
}

static void configure(snd_pcm_t *pcm, int mmap, snd_pcm_format_t format, unsigned period, int playback)
{
	snd_pcm_hw_params_t *hw;
	snd_pcm_hw_params_alloca(&hw);
	check(snd_pcm_hw_params_any(pcm, hw), "hw_params_any");
	check(snd_pcm_hw_params_set_access(pcm, hw, mmap ? SND_PCM_ACCESS_MMAP_INTERLEAVED : SND_PCM_ACCESS_RW_INTERLEAVED), "access");
	check(snd_pcm_hw_params_set_format(pcm, hw, format), "format");
	check(snd_pcm_hw_params_set_channels(pcm, hw, 2), "channels");
	check(snd_pcm_hw_params_set_rate(pcm, hw, 48000, 0), "rate");
	snd_pcm_uframes_t period_size = period, buffer_size = period * 4;
	check(snd_pcm_hw_params_set_period_size(pcm, hw, period_size, 0), "period size");
	check(snd_pcm_hw_params_set_buffer_size(pcm, hw, buffer_size), "buffer size");
	check(snd_pcm_hw_params(pcm, hw), "hw_params");
	snd_pcm_sw_params_t *sw;
	snd_pcm_sw_params_alloca(&sw);
	check(snd_pcm_sw_params_current(pcm, sw), "sw_params_current");
	check(snd_pcm_sw_params_set_avail_min(pcm, sw, period), "avail_min");
	check(snd_pcm_sw_params_set_start_threshold(pcm, sw, playback ? buffer_size : 1), "start_threshold");
	check(snd_pcm_sw_params(pcm, sw), "sw_params");
}

/* One conversion layout: `contiguous` is one channel (every sample next to the last); strided is
 * two channels, the client's buffers non-interleaved and the slave's interleaved, so each
 * channel is converted from contiguous floats to samples two apart (or back): the work AlsaSwift's
 * strided encode/decode does for one channel of an interleaved area. */
static double convert_round_best(const char *name, int to_float, int contiguous, long samples)
{
	int is_float = strcmp(name, "FLOAT_LE") == 0;
	unsigned channels = contiguous ? 1 : 2;
	snd_pcm_uframes_t frames_per_call = 8192 / channels;
	char text[256];
	/* Float to an integer format: plug inserts lfloat, which converts per channel with the areas'
	 * steps. lfloat is used directly for the strided layout because plug would give the null slave
	 * the client's non-interleaved access and convert contiguously. Float to FLOAT_LE needs no
	 * conversion, so plug would insert nothing and null would not even copy: the copy plugin is
	 * alsa-lib's own copy between the client's areas and the slave's. */
	if (is_float)
		snprintf(text, sizeof(text), "pcm.convert { type copy slave { pcm { type null } } }");
	else if (contiguous)
		snprintf(text, sizeof(text), "pcm.convert { type plug slave { pcm { type null } format %s } }", name);
	else
		snprintf(text, sizeof(text), "pcm.convert { type lfloat slave { pcm { type null } format %s } }", name);
	snd_pcm_t *pcm;
	check(snd_pcm_open_lconf(&pcm, "convert", to_float ? SND_PCM_STREAM_CAPTURE : SND_PCM_STREAM_PLAYBACK, 0,
				 load_config(text)), "open conversion PCM");
	snd_pcm_hw_params_t *hw;
	snd_pcm_hw_params_alloca(&hw);
	check(snd_pcm_hw_params_any(pcm, hw), "hw_params_any");
	check(snd_pcm_hw_params_set_access(pcm, hw, contiguous ? SND_PCM_ACCESS_RW_INTERLEAVED : SND_PCM_ACCESS_RW_NONINTERLEAVED), "access");
	check(snd_pcm_hw_params_set_format(pcm, hw, SND_PCM_FORMAT_FLOAT_LE), "format");
	check(snd_pcm_hw_params_set_channels(pcm, hw, channels), "channels");
	check(snd_pcm_hw_params_set_rate(pcm, hw, 48000, 0), "rate");
	snd_pcm_uframes_t period = frames_per_call, buffer_size = frames_per_call * 4;
	check(snd_pcm_hw_params_set_period_size(pcm, hw, period, 0), "period size");
	check(snd_pcm_hw_params_set_buffer_size(pcm, hw, buffer_size), "buffer size");
	check(snd_pcm_hw_params(pcm, hw), "hw_params");
	float *buffer = malloc(8192 * sizeof(float));
	/* The same values as the Swift side: a ramp over [-1, 1). */
	for (int i = 0; i < 8192; i++)
		buffer[i] = (float)(i % 2000 - 1000) / 1000;
	void *channel_buffers[2] = {buffer, buffer + frames_per_call};
	double best = 1e9;
	for (int round = 0; round < 5; round++) {
		snd_pcm_prepare(pcm);
		double start = thread_now();
		for (long done = 0; done < samples; done += 8192) {
			snd_pcm_sframes_t n;
			if (contiguous)
				n = to_float ? snd_pcm_readi(pcm, buffer, frames_per_call) : snd_pcm_writei(pcm, buffer, frames_per_call);
			else
				n = to_float ? snd_pcm_readn(pcm, channel_buffers, frames_per_call) : snd_pcm_writen(pcm, channel_buffers, frames_per_call);
			if (n < 0)
				snd_pcm_recover(pcm, (int)n, 1);
		}
		double elapsed = thread_now() - start;
		if (elapsed < best)
			best = elapsed;
		snd_pcm_drop(pcm);
	}
	free(buffer);
	snd_pcm_close(pcm);
	return best;
}

static int convert_benchmark(const char *name, long samples)
{
	if (snd_pcm_format_value(name) == SND_PCM_FORMAT_UNKNOWN) {
		fprintf(stderr, "unknown format %s\n", name);
		return 1;
	}
	samples -= samples % 8192;
	for (int contiguous = 1; contiguous >= 0; contiguous--) {
		double from = convert_round_best(name, 0, contiguous, samples);
		double to = convert_round_best(name, 1, contiguous, samples);
		printf("format=%s layout=%s samples=%ld from_float_per_s=%.0f to_float_per_s=%.0f\n", name,
		       contiguous ? "contiguous" : "strided", samples, samples / from, samples / to);
	}
	return 0;
}

int main(int argc, char **argv)
{
	allocations = (unsigned long (*)(void))dlsym(RTLD_DEFAULT, "malloc_count_calls");
	if (argc >= 4 && strcmp(argv[1], "--convert") == 0)
		return convert_benchmark(argv[2], atol(argv[3]));
	if (argc < 5) {
		fprintf(stderr, "usage: %s DEVICE mmap|rw playback|capture PERIODS [--warmup N] [--period F] [--sync-ptr] [--seconds S] [--stop-on-xrun]\n", argv[0]);
		return 2;
	}
	const char *device = argv[1];
	int mmap = strcmp(argv[2], "mmap") == 0;
	int playback = strcmp(argv[3], "playback") == 0;
	long periods = atol(argv[4]), warmup = 8;
	unsigned period = 256;
	int sync_ptr = 0, stop_on_xrun = 0;
	double seconds = 0;
	for (int i = 5; i < argc; i++) {
		if (!strcmp(argv[i], "--warmup") && i + 1 < argc) warmup = atol(argv[++i]);
		else if (!strcmp(argv[i], "--period") && i + 1 < argc) period = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--sync-ptr")) sync_ptr = 1;
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--stop-on-xrun")) stop_on_xrun = 1;
	}
	if (seconds > 0)
		periods = (long)(seconds * 48000 / period);

	snd_pcm_t *pcm = open_pcm(device, playback ? SND_PCM_STREAM_PLAYBACK : SND_PCM_STREAM_CAPTURE, sync_ptr);
	configure(pcm, mmap, SND_PCM_FORMAT_S16_LE, period, playback);
	int16_t *buffer = calloc(period * 2, sizeof(int16_t));
	long xruns = 0;
	int started = 0;
	unsigned long before = 0;
	if (!playback)
		check(snd_pcm_start(pcm), "start");
	for (long i = 0; i < warmup + periods; i++) {
		if (i == warmup) {
			before = allocation_count();
			/* The kernel calls are counted between these two markers (as in the Swift loop). */
			access("alsa-loop:window-start", F_OK);
		}
		snd_pcm_uframes_t left = period;
		while (left > 0) {
			snd_pcm_sframes_t n;
			if (mmap) {
				/* As the Swift loop: wait returns at once while there is room. */
				snd_pcm_wait(pcm, 1000);
				n = snd_pcm_avail_update(pcm);
				if (n >= 0) {
					const snd_pcm_channel_area_t *areas;
					snd_pcm_uframes_t offset, frames = left;
					n = snd_pcm_mmap_begin(pcm, &areas, &offset, &frames);
					if (n >= 0) {
						char *base = (char *)areas[0].addr + offset * 4;
						if (playback)
							memcpy(base, buffer, frames * 4);
						else
							memcpy(buffer, base, frames * 4);
						n = snd_pcm_mmap_commit(pcm, offset, frames);
						/* Start once the buffer is full, without a state query per period. */
						if (n >= 0 && playback && !started && snd_pcm_avail_update(pcm) == 0)
							started = snd_pcm_start(pcm) == 0;
					}
				}
			} else {
				n = playback ? snd_pcm_writei(pcm, buffer, left) : snd_pcm_readi(pcm, buffer, left);
			}
			if (n < 0) {
				if (n == -EPIPE || n == -ESTRPIPE)
					xruns++;
				check(snd_pcm_recover(pcm, (int)n, 1), "recover");
				started = 0;
				if (stop_on_xrun && xruns > 0)
					break;
				if (!playback)
					snd_pcm_start(pcm);
				continue;
			}
			left -= (snd_pcm_uframes_t)n;
		}
		if (stop_on_xrun && xruns > 0)
			break;
	}
	/* faccessat, a function of its own, so that callgrind can zero at the start and dump at the end;
	 * before reading the allocation counter, which is no part of a period (it allocates nothing). */
	faccessat(AT_FDCWD, "alsa-loop:window-end", F_OK, 0);
	unsigned long after = allocation_count();
	if (playback)
		snd_pcm_drain(pcm);
	snd_pcm_close(pcm);
	free(buffer);
	printf("side=alsa-lib periods=%ld xruns=%ld steady_allocations=%s%lu\n", periods, xruns,
	       allocations ? "" : "n/a:", allocations ? after - before : 0);
	return 0;
}
