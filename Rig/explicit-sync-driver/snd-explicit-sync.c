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
 * stale_frames (playback) and poisoned_frames (capture) since the last PREPARE. Substream 0's lines
 * are "playback_frames ..." and "capture_frames ..."; substream N's (N > 0) carry the prefix
 * "subN_". Each substream is a device of its own (own timer, own device copy, own counters), so
 * several clients can run at once, each on its own (the soak runs its cases concurrently).
 * Time comes from an hrtimer, one tick per period.
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

#define ES_BUFFER_BYTES_MAX (64 * 1024)
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

struct es_stats {
	u64 frames;
	u64 checksum;
	u64 underrun_frames;
	u64 xruns;
	/* since the last PREPARE */
	u64 cpu_syncs;
	u64 device_syncs;
	u64 stale_frames;		/* playback: played while the device copy differed from the CPU's */
	u64 poisoned_frames;		/* capture: consumed while the CPU view differed from the device's */
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
		SNDRV_PCM_INFO_BLOCK_TRANSFER | SNDRV_PCM_INFO_EXPLICIT_SYNC,
	.formats = SNDRV_PCM_FMTBIT_S16_LE | SNDRV_PCM_FMTBIT_S32_LE,
	.rates = SNDRV_PCM_RATE_CONTINUOUS | SNDRV_PCM_RATE_8000_48000,
	.rate_min = 8000,
	.rate_max = 48000,
	.channels_min = 1,
	.channels_max = 2,
	.buffer_bytes_max = ES_BUFFER_BYTES_MAX,
	.period_bytes_min = 64,
	.period_bytes_max = 32768,
	.periods_min = 2,
	.periods_max = 1024,
};

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
				if (memcmp(device, cpu, frame_bytes))
					s->stats.stale_frames++;
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
	elapsed = s->period_due;
	s->period_due = false;
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

	if (!copy)
		return -ENOMEM;
	spin_lock_irq(&s->lock);
	s->device_copy = copy;
	s->substream = substream;
	s->open = true;
	s->running = false;
	memset(&s->stats, 0, sizeof(s->stats));
	s->stats.checksum = FNV_OFFSET;
	spin_unlock_irq(&s->lock);
	substream->runtime->hw = es_hardware;
	return 0;
}

static int es_close(struct snd_pcm_substream *substream)
{
	struct es_stream *s = es_stream_of(substream);

	u8 *copy;

	hrtimer_cancel(&s->timer);
	spin_lock_irq(&s->lock);
	s->open = false;
	copy = s->device_copy;
	s->device_copy = NULL;
	spin_unlock_irq(&s->lock);
	vfree(copy);
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

	if (substream->stream != SNDRV_PCM_STREAM_CAPTURE || !runtime->dma_area)
		return 0;
	frame_bytes = frames_to_bytes(runtime, 1);
	spin_lock_irqsave(&s->lock, flags);
	count = (snd_pcm_sframes_t)appl - (snd_pcm_sframes_t)s->consumed;
	if (count < 0)
		count += runtime->boundary;
	if (count <= runtime->buffer_size && !s->consumed_unknown) {
		snd_pcm_uframes_t f;

		for (f = s->consumed; count > 0; count--, f++) {
			unsigned int offset = (f % runtime->buffer_size) * frame_bytes;

			if (memcmp(s->device_copy + offset, runtime->dma_area + offset, frame_bytes))
				s->stats.poisoned_frames++;
		}
	}
	s->consumed = appl;
	s->consumed_unknown = false;
	spin_unlock_irqrestore(&s->lock, flags);
	return 0;
}

/* The core's default handling; a RESET is noted so that .ack does not count the frames it skipped. */
static int es_ioctl(struct snd_pcm_substream *substream, unsigned int cmd, void *arg)
{
	struct es_stream *s = es_stream_of(substream);
	unsigned long flags;

	if (cmd == SNDRV_PCM_IOCTL1_RESET) {
		spin_lock_irqsave(&s->lock, flags);
		s->consumed_unknown = true;
		spin_unlock_irqrestore(&s->lock, flags);
	}
	return snd_pcm_lib_ioctl(substream, cmd, arg);
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
	.ack = es_ack,
};

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
		snd_iprintf(buffer, "%splayback_cpu_syncs %llu\n", prefix, p.cpu_syncs);
		snd_iprintf(buffer, "%splayback_device_syncs %llu\n", prefix, p.device_syncs);
		snd_iprintf(buffer, "%splayback_stale_frames %llu\n", prefix, p.stale_frames);
		snd_iprintf(buffer, "%scapture_frames %llu\n", prefix, c.frames);
		snd_iprintf(buffer, "%scapture_checksum 0x%016llx\n", prefix, c.checksum);
		snd_iprintf(buffer, "%scapture_xruns %llu\n", prefix, c.xruns);
		snd_iprintf(buffer, "%scapture_cpu_syncs %llu\n", prefix, c.cpu_syncs);
		snd_iprintf(buffer, "%scapture_device_syncs %llu\n", prefix, c.device_syncs);
		snd_iprintf(buffer, "%scapture_poisoned_frames %llu\n", prefix, c.poisoned_frames);
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
