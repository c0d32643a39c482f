// SPDX-License-Identifier: GPL-2.0
/*
 * snd-explicit-sync: a test sound card that behaves like a device with non-coherent DMA buffers,
 * strictly, in both directions.
 *
 * It declares SNDRV_PCM_INFO_EXPLICIT_SYNC, so the PCM core refuses to map the status and control
 * records and user space must move pointers through SYNC_PTR. The device never touches the buffer
 * that user space maps (runtime->dma_area, the "CPU view"); it works on a device-side copy, and the
 * two views meet only where the core syncs a non-coherent buffer:
 *
 *   playback: the device plays from its copy, which is refreshed from the CPU view only at a device
 *             sync (flush). A frame played while the two views differ was written but not flushed
 *             in time: it counts as stale, even when the data happens to arrive by a later flush.
 *             The frames committed and not yet played must not change either: each is copied when
 *             appl_ptr passes it (.ack), and at every device sync, before the flush, the CPU view
 *             of those frames is compared with that copy. A difference is a write after commit and
 *             counts as late, at any depth: with three periods queued or more, the next commit's
 *             flush would carry the late data to the device before it plays, unseen by the stale
 *             count and the checksum. A REWIND (appl_ptr moving back) takes its frames out of the
 *             committed set, so rewriting them is then legal; PREPARE and RESET empty it.
 *   capture:  the device writes its signal into its copy and a poison pattern into the CPU view (the
 *             CPU's cache lines for that memory are stale). The CPU view receives the signal only at
 *             a CPU sync (invalidate). When user space moves appl_ptr past frames whose CPU view
 *             still differs from the device's, those frames were handed to the CPU poisoned.
 *
 * Where the core syncs (Linux 6.1, sound/core; every sync covers the whole buffer, and only when
 * runtime->info has EXPLICIT_SYNC, through snd_pcm_dma_buffer_sync() -> snd_dma_buffer_sync()):
 *
 *   CPU sync (SNDRV_DMA_SYNC_CPU):
 *     - snd_pcm_delay() (pcm_native.c), after the hw_ptr update, even if the state check failed.
 *       User space reaches it through SNDRV_PCM_IOCTL_HWSYNC, SNDRV_PCM_IOCTL_DELAY and
 *       SNDRV_PCM_IOCTL_SYNC_PTR with SNDRV_PCM_SYNC_PTR_HWSYNC set (native and compat variants).
 *     - __snd_pcm_lib_xfer() (pcm_lib.c), before the reader of each chunk: READI and READN.
 *   Device sync (SNDRV_DMA_SYNC_DEVICE):
 *     - snd_pcm_sync_ptr() and the compat/x32 variants (pcm_native.c, pcm_compat.c), after the
 *       appl_ptr push, when SNDRV_PCM_SYNC_PTR_APPL is clear.
 *     - snd_pcm_rewind() and snd_pcm_forward() on success: REWIND and FORWARD.
 *     - __snd_pcm_lib_xfer(), after the writer of each chunk: WRITEI and WRITEN.
 *     - snd_pcm_playback_silence() (pcm_lib.c), when the silence parameters fill the buffer.
 *   No sync: STATUS, STATUS_EXT, SYNC_PTR with HWSYNC clear and APPL set, PREPARE, START, poll.
 *
 * The core has no driver callback for these syncs. snd_dma_buffer_sync() is an exported function
 * of snd-pcm that every one of those call sites reaches with the substream's DMA buffer and the
 * mode, before it looks at whether the memory needs a sync; a kprobe on its entry therefore sees
 * exactly the syncs the core performs, in the caller's context, and nothing else. That is the
 * mechanism here; the cpu_syncs and device_syncs counters show it working.
 *
 * Counters, per substream, in /proc/asound/cardN/explicit_sync: frames, checksum (FNV-1a of what
 * the device played or produced), underrun frames and xruns since open; cpu_syncs, device_syncs,
 * stale_frames, late_frames (playback) and poisoned_frames (capture) since the last PREPARE, and
 * the same three since open as *_total (a stream's drain ends in a PREPARE: a test that reads the
 * counters after it reads the totals).
 * Substream 0's lines are "playback_frames ..." and "capture_frames ..."; substream N's (N > 0)
 * carry the prefix "subN_". Each substream is a device of its own (own timer, own device copy, own
 * counters), so several clients can run at once, each on its own (the soak runs its cases
 * concurrently). Time comes from an hrtimer, one tick per period.
 *
 * Period interrupts can be turned off, as on HDA, SOF and avs: hw info declares
 * SNDRV_PCM_INFO_NO_PERIOD_WAKEUP, and a stream that sets SNDRV_PCM_HW_PARAMS_NO_PERIOD_WAKEUP
 * (runtime->no_period_wakeup) gets no snd_pcm_period_elapsed: the hrtimer still moves the device
 * (its position, the counters), but hw_ptr moves and pollers wake only when user space asks for
 * the position (HWSYNC, STATUS, SYNC_PTR, a transfer). period_interrupts counts the calls of
 * snd_pcm_period_elapsed since open: 0 for such a stream.
 *
 * Link audio timestamps (get_time_info): the device's position clock is ktime since START, so a
 * request for SNDRV_PCM_AUDIO_TSTAMP_TYPE_LINK gets that clock (the link counter, reset at START)
 * and SNDRV_PCM_AUDIO_TSTAMP_TYPE_LINK_ABSOLUTE the same clock since the substream was opened (the
 * link came up then and is not reset at START), both read from the same ktime reading as the
 * system timestamp when the stream stamps with CLOCK_MONOTONIC. The accuracy reported is the
 * resolution of that clock (hrtimer_resolution). Any other type falls back to DEFAULT (the core then
 * counts the audio time from hw_ptr), as real drivers do; hw info declares HAS_LINK_ATIME and
 * HAS_LINK_ABSOLUTE_ATIME. A core quirk stays visible, as on HDA: a request for DEFAULT right after
 * a link type on the same open is not passed to the driver and the report keeps the link type, so
 * the core neither counts the pointer time nor refreshes tstamp (pcm_lib.c, Linux 6.1).
 *
 * Channel maps: each direction has a "Playback/Capture Channel Map" control
 * (snd_pcm_add_chmap_ctls) offering MONO for one channel and FL FR or FR FL for two; the first map
 * of a channel count is the default. The control is writable: a write must be exactly one of the
 * offered maps (the values past its channels zero), and is allowed while the substream is open and
 * OPEN, SETUP or PREPARED (as HDA's HDMI codecs allow it before the stream runs); a running,
 * draining, paused or stopped-by-xrun stream answers -EBUSY, a substream not open -EBADFD, a map of
 * another channel count than the configured one -EINVAL. The map chosen is the substream's until
 * it closes; every open starts with the defaults. A read returns the chosen map when its channel
 * count is the stream's, else the default for the stream's channel count. The map is metadata
 * only: this device has no speakers, so the data path (and its checksums) is the same for every map.
 */
#include <linux/hrtimer.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <sound/core.h>
#include <sound/info.h>
#include <sound/initval.h>
#include <sound/control.h>
#include <sound/pcm.h>

MODULE_DESCRIPTION("ALSA test card with explicit sync (non-coherent DMA model)");
MODULE_LICENSE("GPL");

static int index = SNDRV_DEFAULT_IDX1;
module_param(index, int, 0444);
MODULE_PARM_DESC(index, "Index value for the card.");

#define ES_SUBSTREAMS_MAX 8
static int substreams = 2;
module_param(substreams, int, 0444);
MODULE_PARM_DESC(substreams, "Substreams per direction (1-8).");

/* A substream fixed at one rate, as much real hardware is (48 kHz): what a stream must resample to. */
static int fixed_rate[ES_SUBSTREAMS_MAX];
module_param_array(fixed_rate, int, NULL, 0444);
MODULE_PARM_DESC(fixed_rate, "Rate of each substream, by number (0: any of 8000-48000 Hz).");

/* Deep enough for a timer-scheduled stream's 2 s at 48 kHz S16 stereo (375 KiB), as HDA allows. */
#define ES_BUFFER_BYTES_MAX (512 * 1024)
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

struct es_stats {
	u64 frames;
	u64 checksum;
	u64 underrun_frames;
	u64 xruns;
	u64 period_interrupts;		/* snd_pcm_period_elapsed calls */
	/* since the last PREPARE */
	u64 cpu_syncs;
	u64 device_syncs;
	u64 stale_frames;		/* playback: played while the device copy differed from the CPU's */
	u64 late_frames;		/* playback: committed, not yet played, changed after their commit */
	u64 poisoned_frames;		/* capture: consumed while the CPU view differed from the device's */
	/* the same three since open: a drain's PREPARE does not hide what came before it */
	u64 stale_frames_total;
	u64 late_frames_total;
	u64 poisoned_frames_total;
};

struct es_stream {
	struct snd_pcm_substream *substream;
	struct hrtimer timer;
	spinlock_t lock;		/* guards everything below */
	bool open;
	bool running;
	ktime_t started;
	u64 frames_done;		/* frames the device moved since START */
	snd_pcm_uframes_t hw_start;	/* hw_ptr at START */
	unsigned int pos;		/* device position in the ring, frames */
	unsigned int period_pos;	/* frames into the current period */
	bool period_due;		/* a period boundary passed since the last period_elapsed */
	u8 *device_copy;		/* the device's view of the buffer */
	snd_pcm_uframes_t consumed;	/* capture: appl_ptr as of the last poison check */
	bool consumed_unknown;		/* a RESET moved appl_ptr without an ack */
	u8 *commit_copy;		/* playback: each committed frame as it was at its commit */
	snd_pcm_uframes_t committed;	/* playback: appl_ptr as of the last .ack, the committed set's end */
	ktime_t link_up;		/* when the substream opened: origin of the absolute link time */
	int chmap;			/* the map chosen through the control (index in es_chmaps), or -1 */
	struct es_stats stats;
};

struct es_card {
	struct snd_card *card;
	int substreams;
	struct es_stream stream[2][ES_SUBSTREAMS_MAX];	/* [direction][substream number] */
};

static struct platform_device *es_device;
static struct snd_card *es_snd_card;
static struct es_card *es_chip;		/* for the sync probe */

static const struct snd_pcm_hardware es_hardware = {
	.info = SNDRV_PCM_INFO_MMAP | SNDRV_PCM_INFO_MMAP_VALID | SNDRV_PCM_INFO_INTERLEAVED |
		SNDRV_PCM_INFO_BLOCK_TRANSFER | SNDRV_PCM_INFO_EXPLICIT_SYNC |
		SNDRV_PCM_INFO_HAS_LINK_ATIME | SNDRV_PCM_INFO_HAS_LINK_ABSOLUTE_ATIME |
		SNDRV_PCM_INFO_NO_PERIOD_WAKEUP,
	.formats = SNDRV_PCM_FMTBIT_S16_LE | SNDRV_PCM_FMTBIT_S32_LE,
	.rates = SNDRV_PCM_RATE_CONTINUOUS | SNDRV_PCM_RATE_8000_48000,
	.rate_min = 8000,
	.rate_max = 48000,
	.channels_min = 1,
	.channels_max = 2,
	.buffer_bytes_max = ES_BUFFER_BYTES_MAX,
	.period_bytes_min = 64,
	.period_bytes_max = ES_BUFFER_BYTES_MAX / 2,
	.periods_min = 2,
	.periods_max = 1024,
};

/* The channel maps offered, per channel count, the default first; ends with channels == 0. */
static const struct snd_pcm_chmap_elem es_chmaps[] = {
	{ .channels = 1, .map = { SNDRV_CHMAP_MONO } },
	{ .channels = 2, .map = { SNDRV_CHMAP_FL, SNDRV_CHMAP_FR } },
	{ .channels = 2, .map = { SNDRV_CHMAP_FR, SNDRV_CHMAP_FL } },
	{ }
};
#define ES_CHMAP_CHANNELS_MAX 2

static u64 fnv1a(u64 hash, const u8 *bytes, size_t count)
{
	while (count--) {
		hash ^= *bytes++;
		hash *= FNV_PRIME;
	}
	return hash;
}

/* Byte b of capture frame f: the signal the tests expect. */
static u8 es_capture_byte(u64 f, unsigned int b)
{
	return (u8)((f * 31 + b * 7) ^ (f >> 8));
}

/* What the CPU sees of a captured frame before it invalidates its cache: byte b of any frame. */
static u8 es_poison_byte(unsigned int b)
{
	static const u8 poison[4] = { 0xde, 0xad, 0xbe, 0xef };

	return poison[b & 3];
}

/* Moves the device to the present: plays or captures the frames that are due. Caller holds s->lock. */
static void es_advance(struct es_stream *s)
{
	struct snd_pcm_runtime *runtime = s->substream->runtime;
	unsigned int frame_bytes = frames_to_bytes(runtime, 1);
	u64 due = div_u64((u64)ktime_to_ns(ktime_sub(ktime_get(), s->started)) * runtime->rate, NSEC_PER_SEC);
	bool playback = s->substream->stream == SNDRV_PCM_STREAM_PLAYBACK;

	while (s->running && s->frames_done < due) {
		unsigned int offset = s->pos * frame_bytes;
		u8 *device = s->device_copy + offset;
		u8 *cpu = runtime->dma_area + offset;

		if (playback) {
			snd_pcm_uframes_t hw = (s->hw_start + s->frames_done) % runtime->boundary;
			snd_pcm_uframes_t appl = READ_ONCE(runtime->control->appl_ptr);
			snd_pcm_sframes_t queued = (snd_pcm_sframes_t)appl - (snd_pcm_sframes_t)hw;

			if (queued < 0)
				queued += runtime->boundary;
			if (queued > 0 && queued <= runtime->buffer_size) {
				s->stats.frames++;
				s->stats.checksum = fnv1a(s->stats.checksum, device, frame_bytes);
				if (memcmp(device, cpu, frame_bytes)) {
					s->stats.stale_frames++;
					s->stats.stale_frames_total++;
				}
			} else {
				s->stats.underrun_frames++;
			}
		} else {
			unsigned int b;

			for (b = 0; b < frame_bytes; b++) {
				device[b] = es_capture_byte(s->frames_done, b);
				cpu[b] = es_poison_byte(b);
			}
			s->stats.frames++;
			s->stats.checksum = fnv1a(s->stats.checksum, device, frame_bytes);
		}
		s->frames_done++;
		s->pos = (s->pos + 1) % runtime->buffer_size;
		if (++s->period_pos == runtime->period_size) {
			s->period_pos = 0;
			s->period_due = true;
		}
	}
}

static enum hrtimer_restart es_tick(struct hrtimer *timer)
{
	struct es_stream *s = container_of(timer, struct es_stream, timer);
	struct snd_pcm_runtime *runtime = s->substream->runtime;
	unsigned long flags;
	bool elapsed;

	spin_lock_irqsave(&s->lock, flags);
	if (!s->running) {
		spin_unlock_irqrestore(&s->lock, flags);
		return HRTIMER_NORESTART;
	}
	es_advance(s);
	/* With NO_PERIOD_WAKEUP granted the device moves on without a word: no interrupt. */
	elapsed = s->period_due && !runtime->no_period_wakeup;
	s->period_due = false;
	if (elapsed)
		s->stats.period_interrupts++;
	spin_unlock_irqrestore(&s->lock, flags);

	if (elapsed)
		snd_pcm_period_elapsed(s->substream);
	hrtimer_forward_now(timer, ns_to_ktime(div_u64((u64)runtime->period_size * NSEC_PER_SEC, runtime->rate)));
	return HRTIMER_RESTART;
}

static struct es_stream *es_stream_of(struct snd_pcm_substream *substream)
{
	struct es_card *es = snd_pcm_substream_chip(substream);

	return &es->stream[substream->stream][substream->number];
}

static int es_open(struct snd_pcm_substream *substream)
{
	struct es_stream *s = es_stream_of(substream);
	u8 *copy = vzalloc(ES_BUFFER_BYTES_MAX);
	u8 *commit_copy = NULL;

	if (copy && substream->stream == SNDRV_PCM_STREAM_PLAYBACK)
		commit_copy = vzalloc(ES_BUFFER_BYTES_MAX);
	if (!copy || (substream->stream == SNDRV_PCM_STREAM_PLAYBACK && !commit_copy)) {
		vfree(copy);
		return -ENOMEM;
	}
	spin_lock_irq(&s->lock);
	s->device_copy = copy;
	s->commit_copy = commit_copy;
	s->committed = 0;
	s->substream = substream;
	s->open = true;
	s->running = false;
	s->link_up = ktime_get();
	s->chmap = -1;
	memset(&s->stats, 0, sizeof(s->stats));
	s->stats.checksum = FNV_OFFSET;
	spin_unlock_irq(&s->lock);
	substream->runtime->hw = es_hardware;
	if (fixed_rate[substream->number])
		substream->runtime->hw.rate_min = substream->runtime->hw.rate_max = fixed_rate[substream->number];
	/*
	 * The core leaves the report zeroed (COMPAT) and calls .get_time_info only for types other than
	 * DEFAULT; with a .get_time_info present it then counts the audio time from hw_ptr only when the
	 * report already says DEFAULT (update_audio_tstamp), so a first request for DEFAULT would get no
	 * audio time at all. The report starts as DEFAULT instead.
	 */
	substream->runtime->audio_tstamp_report.actual_type = SNDRV_PCM_AUDIO_TSTAMP_TYPE_DEFAULT;
	return 0;
}

static int es_close(struct snd_pcm_substream *substream)
{
	struct es_stream *s = es_stream_of(substream);

	u8 *copy, *commit_copy;

	hrtimer_cancel(&s->timer);
	spin_lock_irq(&s->lock);
	s->open = false;
	copy = s->device_copy;
	s->device_copy = NULL;
	commit_copy = s->commit_copy;
	s->commit_copy = NULL;
	spin_unlock_irq(&s->lock);
	vfree(copy);
	vfree(commit_copy);
	return 0;
}

static int es_prepare(struct snd_pcm_substream *substream)
{
	struct es_stream *s = es_stream_of(substream);
	unsigned long flags;

	spin_lock_irqsave(&s->lock, flags);
	s->pos = 0;
	s->period_pos = 0;
	s->period_due = false;
	s->frames_done = 0;
	s->consumed = substream->runtime->control->appl_ptr;
	s->consumed_unknown = false;
	s->stats.cpu_syncs = 0;
	s->stats.device_syncs = 0;
	s->stats.stale_frames = 0;
	s->stats.late_frames = 0;
	s->stats.poisoned_frames = 0;
	spin_unlock_irqrestore(&s->lock, flags);
	return 0;
}

static int es_trigger(struct snd_pcm_substream *substream, int cmd)
{
	struct es_stream *s = es_stream_of(substream);
	struct snd_pcm_runtime *runtime = substream->runtime;
	u64 period_ns = div_u64((u64)runtime->period_size * NSEC_PER_SEC, runtime->rate);
	unsigned long flags;

	switch (cmd) {
	case SNDRV_PCM_TRIGGER_START:
		spin_lock_irqsave(&s->lock, flags);
		s->running = true;
		s->started = ktime_get();
		s->frames_done = 0;
		s->period_pos = 0;
		s->pos = runtime->status->hw_ptr % runtime->buffer_size;
		s->hw_start = runtime->status->hw_ptr;
		spin_unlock_irqrestore(&s->lock, flags);
		hrtimer_start(&s->timer, ns_to_ktime(period_ns), HRTIMER_MODE_REL_SOFT);
		return 0;
	case SNDRV_PCM_TRIGGER_STOP:
		spin_lock_irqsave(&s->lock, flags);
		/* A stop that is not the end of a drain, with the buffer run dry, is an xrun. */
		if (runtime->status->state != SNDRV_PCM_STATE_DRAINING &&
		    runtime->stop_threshold < runtime->boundary &&
		    (substream->stream == SNDRV_PCM_STREAM_PLAYBACK ?
			     snd_pcm_playback_avail(runtime) : snd_pcm_capture_avail(runtime)) >= runtime->stop_threshold)
			s->stats.xruns++;
		s->running = false;
		spin_unlock_irqrestore(&s->lock, flags);
		hrtimer_try_to_cancel(&s->timer);
		return 0;
	}
	return -EINVAL;
}

static snd_pcm_uframes_t es_pointer(struct snd_pcm_substream *substream)
{
	struct es_stream *s = es_stream_of(substream);
	unsigned long flags;
	unsigned int pos;

	spin_lock_irqsave(&s->lock, flags);
	es_advance(s);
	pos = s->pos;
	spin_unlock_irqrestore(&s->lock, flags);
	return pos;
}

/*
 * The audio timestamp the core asks for when user space requested a type other than DEFAULT
 * (snd_pcm_update_hw_ptr0, under the stream lock, right after .pointer).
 */
static int es_get_time_info(struct snd_pcm_substream *substream, struct timespec64 *system_ts,
			    struct timespec64 *audio_ts, struct snd_pcm_audio_tstamp_config *config,
			    struct snd_pcm_audio_tstamp_report *report)
{
	struct es_stream *s = es_stream_of(substream);
	struct snd_pcm_runtime *runtime = substream->runtime;
	unsigned long flags;
	ktime_t now, origin;

	spin_lock_irqsave(&s->lock, flags);
	now = ktime_get();
	switch (config->type_requested) {
	case SNDRV_PCM_AUDIO_TSTAMP_TYPE_LINK:
		origin = s->started;
		break;
	case SNDRV_PCM_AUDIO_TSTAMP_TYPE_LINK_ABSOLUTE:
		origin = s->link_up;
		break;
	default:
		/* Not a clock of this device: the core counts the audio time from hw_ptr. */
		spin_unlock_irqrestore(&s->lock, flags);
		report->actual_type = SNDRV_PCM_AUDIO_TSTAMP_TYPE_DEFAULT;
		report->accuracy_report = 0;
		return 0;
	}
	spin_unlock_irqrestore(&s->lock, flags);
	*audio_ts = ktime_to_timespec64(ktime_sub(now, origin));
	/* The system time of the same reading where the stream stamps with CLOCK_MONOTONIC. */
	if (runtime->tstamp_type == SNDRV_PCM_TSTAMP_TYPE_MONOTONIC)
		*system_ts = ktime_to_timespec64(now);
	else
		snd_pcm_gettime(runtime, system_ts);
	report->actual_type = config->type_requested;
	report->accuracy_report = 1;
	report->accuracy = hrtimer_resolution;
	return 0;
}

/* Where the device is, as a pointer: its own position while it runs, else the kernel's hw_ptr. */
static snd_pcm_uframes_t es_device_hw(struct es_stream *s, struct snd_pcm_runtime *runtime)
{
	if (s->running)
		return (s->hw_start + s->frames_done) % runtime->boundary;
	return runtime->status->hw_ptr;
}

/*
 * Playback, appl_ptr moved through the kernel (.ack): the frames it passed are committed now, so
 * their CPU view is copied as it is at their commit. A move back (a rewind: at most a buffer back,
 * far less than half the boundary) takes the frames past the new appl_ptr out of the committed set;
 * the set is [device position, committed), so moving its end is all it takes. Caller holds s->lock.
 */
static void es_note_commit(struct es_stream *s, struct snd_pcm_runtime *runtime)
{
	snd_pcm_uframes_t appl = runtime->control->appl_ptr;
	snd_pcm_uframes_t moved = (appl + runtime->boundary - s->committed) % runtime->boundary;
	unsigned int frame_bytes = frames_to_bytes(runtime, 1);

	if (moved <= runtime->boundary / 2) {
		snd_pcm_uframes_t frames = min_t(snd_pcm_uframes_t, moved, runtime->buffer_size);
		snd_pcm_uframes_t pos = (appl + runtime->boundary - frames) % runtime->buffer_size;

		while (frames > 0) {
			snd_pcm_uframes_t run = min_t(snd_pcm_uframes_t, frames, runtime->buffer_size - pos);

			memcpy(s->commit_copy + pos * frame_bytes, runtime->dma_area + pos * frame_bytes, run * frame_bytes);
			frames -= run;
			pos = 0;
		}
	}
	s->committed = appl;
}

/*
 * Playback, a device sync, before its flush: counts the frames committed and not yet played whose
 * CPU view is no longer the copy made at their commit (written after their commit). Each such
 * change counts once: the copy takes the new data. Caller holds s->lock, the device caught up.
 */
static void es_count_late_frames(struct es_stream *s, struct snd_pcm_runtime *runtime)
{
	snd_pcm_uframes_t hw = es_device_hw(s, runtime);
	snd_pcm_uframes_t queued = (s->committed + runtime->boundary - hw) % runtime->boundary;
	unsigned int frame_bytes = frames_to_bytes(runtime, 1);
	snd_pcm_uframes_t f;

	if (queued > runtime->buffer_size)
		return;		/* the device ran past appl_ptr: nothing is committed */
	for (f = 0; f < queued; f++) {
		unsigned int offset = ((hw + f) % runtime->buffer_size) * frame_bytes;

		if (memcmp(runtime->dma_area + offset, s->commit_copy + offset, frame_bytes)) {
			s->stats.late_frames++;
			s->stats.late_frames_total++;
			memcpy(s->commit_copy + offset, runtime->dma_area + offset, frame_bytes);
		}
	}
}

/*
 * Playback, a RESET (also the last step of PREPARE): the core sets appl_ptr to hw_ptr afterwards
 * without an .ack, so the committed set is empty and ends at hw_ptr.
 */
static void es_forget_commits(struct es_stream *s, struct snd_pcm_runtime *runtime)
{
	s->committed = runtime->status->hw_ptr;
}

/*
 * appl_ptr moved through the kernel (pcm_lib_apply_appl_ptr, under the stream lock). For capture,
 * user space just declared the frames up to it consumed: count those whose CPU view still is not
 * what the device captured. A jump of more than a buffer (a rewind) only resynchronises, and so does
 * the first move after a RESET, which sets appl_ptr to hw_ptr without calling .ack.
 */
static int es_ack(struct snd_pcm_substream *substream)
{
	struct es_stream *s = es_stream_of(substream);
	struct snd_pcm_runtime *runtime = substream->runtime;
	snd_pcm_uframes_t appl = runtime->control->appl_ptr;
	unsigned int frame_bytes;
	snd_pcm_sframes_t count;
	unsigned long flags;

	if (!runtime->dma_area)
		return 0;
	if (substream->stream == SNDRV_PCM_STREAM_PLAYBACK) {
		spin_lock_irqsave(&s->lock, flags);
		if (s->commit_copy)
			es_note_commit(s, runtime);
		spin_unlock_irqrestore(&s->lock, flags);
		return 0;
	}
	frame_bytes = frames_to_bytes(runtime, 1);
	spin_lock_irqsave(&s->lock, flags);
	count = (snd_pcm_sframes_t)appl - (snd_pcm_sframes_t)s->consumed;
	if (count < 0)
		count += runtime->boundary;
	if (count <= runtime->buffer_size && !s->consumed_unknown) {
		snd_pcm_uframes_t f;

		for (f = s->consumed; count > 0; count--, f++) {
			unsigned int offset = (f % runtime->buffer_size) * frame_bytes;

			if (memcmp(s->device_copy + offset, runtime->dma_area + offset, frame_bytes)) {
				s->stats.poisoned_frames++;
				s->stats.poisoned_frames_total++;
			}
		}
	}
	s->consumed = appl;
	s->consumed_unknown = false;
	spin_unlock_irqrestore(&s->lock, flags);
	return 0;
}

/*
 * The core's default handling; a RESET is noted so that .ack does not count the frames it skipped
 * (capture), and empties the committed set (playback).
 */
static int es_ioctl(struct snd_pcm_substream *substream, unsigned int cmd, void *arg)
{
	struct es_stream *s = es_stream_of(substream);
	unsigned long flags;
	int err;

	if (cmd == SNDRV_PCM_IOCTL1_RESET) {
		spin_lock_irqsave(&s->lock, flags);
		s->consumed_unknown = true;
		spin_unlock_irqrestore(&s->lock, flags);
	}
	err = snd_pcm_lib_ioctl(substream, cmd, arg);
	if (cmd == SNDRV_PCM_IOCTL1_RESET && substream->stream == SNDRV_PCM_STREAM_PLAYBACK && err == 0) {
		spin_lock_irqsave(&s->lock, flags);
		es_forget_commits(s, substream->runtime);
		spin_unlock_irqrestore(&s->lock, flags);
	}
	return err;
}

/*
 * Entry of snd_dma_buffer_sync(dmab, mode): the core syncs a substream's buffer. For one of ours,
 * the device first catches up with the present (frames due before the sync saw the old views),
 * then the views meet: a flush copies the CPU view to the device, an invalidate the device's view
 * to the CPU. The kernel also syncs in the direction where it is a no-op (a CPU sync of a playback
 * buffer); those are counted, and copy nothing, as on real hardware.
 */
static int es_sync_probe(struct kprobe *probe, struct pt_regs *regs)
{
	struct snd_dma_buffer *dmab = (struct snd_dma_buffer *)regs_get_kernel_argument(regs, 0);
	enum snd_dma_sync_mode mode = (enum snd_dma_sync_mode)regs_get_kernel_argument(regs, 1);
	struct es_card *es = READ_ONCE(es_chip);
	unsigned long flags;
	int i, n;

	if (!es || !dmab)
		return 0;
	for (i = 0; i < 2; i++) for (n = 0; n < es->substreams; n++) {
		struct es_stream *s = &es->stream[i][n];
		struct snd_pcm_runtime *runtime;

		spin_lock_irqsave(&s->lock, flags);
		runtime = s->open ? s->substream->runtime : NULL;
		if (runtime && runtime->dma_buffer_p == dmab && runtime->dma_area && s->device_copy) {
			size_t bytes = min_t(size_t, runtime->dma_bytes, ES_BUFFER_BYTES_MAX);

			es_advance(s);
			if (mode == SNDRV_DMA_SYNC_CPU) {
				s->stats.cpu_syncs++;
				if (i == SNDRV_PCM_STREAM_CAPTURE)
					memcpy(runtime->dma_area, s->device_copy, bytes);
			} else {
				s->stats.device_syncs++;
				if (i == SNDRV_PCM_STREAM_PLAYBACK && s->commit_copy)
					es_count_late_frames(s, runtime);
				if (i == SNDRV_PCM_STREAM_PLAYBACK)
					memcpy(s->device_copy, runtime->dma_area, bytes);
			}
		}
		spin_unlock_irqrestore(&s->lock, flags);
	}
	return 0;
}

static struct kprobe es_sync_kprobe = {
	.symbol_name = "snd_dma_buffer_sync",
	.pre_handler = es_sync_probe,
};

static const struct snd_pcm_ops es_ops = {
	.open = es_open,
	.close = es_close,
	.ioctl = es_ioctl,
	.prepare = es_prepare,
	.trigger = es_trigger,
	.pointer = es_pointer,
	.get_time_info = es_get_time_info,
	.ack = es_ack,
};

/* The offered map whose positions are values[0..channels) with zeros after, or -1. */
static int es_chmap_find(const long *values)
{
	int m, i;

	for (m = 0; es_chmaps[m].channels; m++) {
		for (i = 0; i < ES_CHMAP_CHANNELS_MAX; i++) {
			long expected = i < es_chmaps[m].channels ? es_chmaps[m].map[i] : 0;

			if (values[i] != expected)
				break;
		}
		if (i == ES_CHMAP_CHANNELS_MAX)
			return m;
	}
	return -1;
}

/* The map in effect for a stream of `channels` (0: not configured): the chosen one, else the default. */
static int es_chmap_effective(const struct es_stream *s, unsigned int channels)
{
	int m;

	if (s->chmap >= 0 && (channels == 0 || es_chmaps[s->chmap].channels == channels))
		return s->chmap;
	for (m = 0; es_chmaps[m].channels; m++)
		if (es_chmaps[m].channels == channels)
			return m;
	return -1;
}

static struct es_stream *es_stream_of_chmap(struct snd_kcontrol *kcontrol, struct snd_ctl_elem_value *ucontrol)
{
	struct snd_pcm_chmap *info = snd_kcontrol_chip(kcontrol);
	struct es_card *es = info->private_data;
	unsigned int idx = snd_ctl_get_ioffidx(kcontrol, &ucontrol->id);

	if (idx >= es->substreams)
		return NULL;
	return &es->stream[info->stream][idx];
}

static int es_chmap_get(struct snd_kcontrol *kcontrol, struct snd_ctl_elem_value *ucontrol)
{
	struct es_stream *s = es_stream_of_chmap(kcontrol, ucontrol);
	unsigned long flags;
	int m, i, err = 0;

	if (!s)
		return -EINVAL;
	memset(ucontrol->value.integer.value, 0, sizeof(long) * ES_CHMAP_CHANNELS_MAX);
	spin_lock_irqsave(&s->lock, flags);
	if (s->open) {
		m = es_chmap_effective(s, s->substream->runtime->channels);
		if (m < 0)
			err = -EINVAL;
		else
			for (i = 0; i < es_chmaps[m].channels; i++)
				ucontrol->value.integer.value[i] = es_chmaps[m].map[i];
	}
	spin_unlock_irqrestore(&s->lock, flags);
	return err;
}

static int es_chmap_put(struct snd_kcontrol *kcontrol, struct snd_ctl_elem_value *ucontrol)
{
	struct es_stream *s = es_stream_of_chmap(kcontrol, ucontrol);
	int m = es_chmap_find(ucontrol->value.integer.value);
	struct snd_pcm_runtime *runtime;
	unsigned long flags;
	int err = 0;

	if (!s)
		return -EINVAL;
	if (m < 0)
		return -EINVAL;
	spin_lock_irqsave(&s->lock, flags);
	runtime = s->open ? s->substream->runtime : NULL;
	if (!runtime) {
		err = -EBADFD;
	} else {
		switch (runtime->status->state) {
		case SNDRV_PCM_STATE_OPEN:
		case SNDRV_PCM_STATE_SETUP:
		case SNDRV_PCM_STATE_PREPARED:
			if (runtime->channels && es_chmaps[m].channels != runtime->channels) {
				err = -EINVAL;
			} else {
				err = es_chmap_effective(s, runtime->channels) != m;
				s->chmap = m;
			}
			break;
		default:
			err = -EBUSY;
		}
	}
	spin_unlock_irqrestore(&s->lock, flags);
	return err;
}

/* The core's channel map control for each direction, made writable (as HDA's HDMI codecs do). */
static int es_add_chmap_ctls(struct snd_pcm *pcm, struct es_card *es)
{
	int dir, err;
	unsigned int i;

	for (dir = 0; dir < 2; dir++) {
		struct snd_pcm_chmap *info;
		struct snd_kcontrol *kctl;

		err = snd_pcm_add_chmap_ctls(pcm, dir, es_chmaps, ES_CHMAP_CHANNELS_MAX, 0, &info);
		if (err < 0)
			return err;
		info->private_data = es;
		kctl = info->kctl;
		for (i = 0; i < kctl->count; i++)
			kctl->vd[i].access |= SNDRV_CTL_ELEM_ACCESS_WRITE;
		kctl->get = es_chmap_get;
		kctl->put = es_chmap_put;
	}
	return 0;
}

static void es_proc_read(struct snd_info_entry *entry, struct snd_info_buffer *buffer)
{
	struct es_card *es = entry->private_data;
	struct es_stats p, c;
	unsigned long flags;
	char prefix[8];
	int n;

	for (n = 0; n < es->substreams; n++) {
		spin_lock_irqsave(&es->stream[0][n].lock, flags);
		p = es->stream[0][n].stats;
		spin_unlock_irqrestore(&es->stream[0][n].lock, flags);
		spin_lock_irqsave(&es->stream[1][n].lock, flags);
		c = es->stream[1][n].stats;
		spin_unlock_irqrestore(&es->stream[1][n].lock, flags);
		if (n == 0)
			prefix[0] = 0;
		else
			snprintf(prefix, sizeof(prefix), "sub%d_", n);
		snd_iprintf(buffer, "%splayback_frames %llu\n", prefix, p.frames);
		snd_iprintf(buffer, "%splayback_checksum 0x%016llx\n", prefix, p.checksum);
		snd_iprintf(buffer, "%splayback_underrun_frames %llu\n", prefix, p.underrun_frames);
		snd_iprintf(buffer, "%splayback_xruns %llu\n", prefix, p.xruns);
		snd_iprintf(buffer, "%splayback_period_interrupts %llu\n", prefix, p.period_interrupts);
		snd_iprintf(buffer, "%splayback_cpu_syncs %llu\n", prefix, p.cpu_syncs);
		snd_iprintf(buffer, "%splayback_device_syncs %llu\n", prefix, p.device_syncs);
		snd_iprintf(buffer, "%splayback_stale_frames %llu\n", prefix, p.stale_frames);
		snd_iprintf(buffer, "%splayback_late_frames %llu\n", prefix, p.late_frames);
		snd_iprintf(buffer, "%splayback_stale_frames_total %llu\n", prefix, p.stale_frames_total);
		snd_iprintf(buffer, "%splayback_late_frames_total %llu\n", prefix, p.late_frames_total);
		snd_iprintf(buffer, "%scapture_frames %llu\n", prefix, c.frames);
		snd_iprintf(buffer, "%scapture_checksum 0x%016llx\n", prefix, c.checksum);
		snd_iprintf(buffer, "%scapture_xruns %llu\n", prefix, c.xruns);
		snd_iprintf(buffer, "%scapture_period_interrupts %llu\n", prefix, c.period_interrupts);
		snd_iprintf(buffer, "%scapture_cpu_syncs %llu\n", prefix, c.cpu_syncs);
		snd_iprintf(buffer, "%scapture_device_syncs %llu\n", prefix, c.device_syncs);
		snd_iprintf(buffer, "%scapture_poisoned_frames %llu\n", prefix, c.poisoned_frames);
		snd_iprintf(buffer, "%scapture_poisoned_frames_total %llu\n", prefix, c.poisoned_frames_total);
	}
}

static int __init es_init(void)
{
	struct snd_card *card;
	struct snd_pcm *pcm;
	struct es_card *es;
	int i, n, err;

	if (substreams < 1 || substreams > ES_SUBSTREAMS_MAX)
		return -EINVAL;
	for (i = 0; i < ES_SUBSTREAMS_MAX; i++)
		if (fixed_rate[i] && (fixed_rate[i] < es_hardware.rate_min || fixed_rate[i] > es_hardware.rate_max))
			return -EINVAL;
	es_device = platform_device_register_simple("snd_explicit_sync", -1, NULL, 0);
	if (IS_ERR(es_device))
		return PTR_ERR(es_device);
	err = snd_card_new(&es_device->dev, index, NULL, THIS_MODULE, sizeof(*es), &card);
	if (err < 0)
		goto fail_device;
	es = card->private_data;
	es->card = card;
	es->substreams = substreams;
	for (i = 0; i < 2; i++) for (n = 0; n < substreams; n++) {
		struct es_stream *s = &es->stream[i][n];

		spin_lock_init(&s->lock);
		hrtimer_init(&s->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
		s->timer.function = es_tick;
		s->stats.checksum = FNV_OFFSET;
	}
	strscpy(card->driver, "ExplicitSync", sizeof(card->driver));
	strscpy(card->shortname, "ExplicitSync", sizeof(card->shortname));
	strscpy(card->longname, "ExplicitSync test card (non-coherent DMA model)", sizeof(card->longname));
	err = snd_pcm_new(card, "ExplicitSync PCM", 0, substreams, substreams, &pcm);
	if (err < 0)
		goto fail_card;
	pcm->private_data = es;
	strscpy(pcm->name, "ExplicitSync PCM", sizeof(pcm->name));
	snd_pcm_set_ops(pcm, SNDRV_PCM_STREAM_PLAYBACK, &es_ops);
	snd_pcm_set_ops(pcm, SNDRV_PCM_STREAM_CAPTURE, &es_ops);
	snd_pcm_set_managed_buffer_all(pcm, SNDRV_DMA_TYPE_VMALLOC, NULL, 0, 0);
	err = es_add_chmap_ctls(pcm, es);
	if (err < 0)
		goto fail_card;
	err = snd_card_ro_proc_new(card, "explicit_sync", es, es_proc_read);
	if (err < 0)
		goto fail_card;
	err = snd_card_register(card);
	if (err < 0)
		goto fail_card;
	WRITE_ONCE(es_chip, es);
	err = register_kprobe(&es_sync_kprobe);
	if (err < 0) {
		pr_err("snd-explicit-sync: cannot probe snd_dma_buffer_sync: %d\n", err);
		goto fail_card;
	}
	es_snd_card = card;
	return 0;

fail_card:
	WRITE_ONCE(es_chip, NULL);
	snd_card_free(card);
fail_device:
	platform_device_unregister(es_device);
	return err;
}

static void __exit es_exit(void)
{
	unregister_kprobe(&es_sync_kprobe);
	WRITE_ONCE(es_chip, NULL);
	snd_card_free(es_snd_card);
	platform_device_unregister(es_device);
}

module_init(es_init);
module_exit(es_exit);
