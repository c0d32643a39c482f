// SPDX-License-Identifier: GPL-2.0
/*
 * snd-explicit-sync: a test sound card that behaves like a device with non-coherent DMA buffers.
 *
 * It declares SNDRV_PCM_INFO_EXPLICIT_SYNC, so the PCM core refuses to map the status and control
 * records and user space must move pointers through SYNC_PTR. For playback the "device" plays from
 * its own copy of the buffer, refreshed only in .ack, which the core calls whenever user space moves
 * appl_ptr through the kernel (SYNC_PTR with APPL clear, write transfers, forward/rewind): the
 * moment a non-coherent device would see flushed data. A client that writes without that sync makes
 * the device play stale data, and the checksum in /proc/asound/cardN/explicit_sync shows it.
 * Capture produces a deterministic signal. Time comes from an hrtimer, one tick per period.
 */
#include <linux/hrtimer.h>
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

#define ES_BUFFER_BYTES_MAX (64 * 1024)
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

struct es_stats {
	u64 frames;
	u64 checksum;
	u64 underrun_frames;
	u64 xruns;
};

struct es_stream {
	struct snd_pcm_substream *substream;
	struct hrtimer timer;
	spinlock_t lock;		/* guards everything below */
	bool running;
	ktime_t started;
	u64 frames_done;		/* frames the device moved since START */
	snd_pcm_uframes_t hw_start;	/* hw_ptr at START */
	unsigned int pos;		/* device position in the ring, frames */
	unsigned int period_pos;	/* frames into the current period */
	bool period_due;		/* a period boundary passed since the last period_elapsed */
	u8 *device_copy;		/* playback: the device's view of the buffer */
	struct es_stats stats;
};

struct es_card {
	struct snd_card *card;
	struct es_stream stream[2];
};

static struct platform_device *es_device;
static struct snd_card *es_snd_card;

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

/* Moves the device to the present: plays or captures the frames that are due. Caller holds s->lock. */
static void es_advance(struct es_stream *s)
{
	struct snd_pcm_runtime *runtime = s->substream->runtime;
	unsigned int frame_bytes = frames_to_bytes(runtime, 1);
	u64 due = div_u64((u64)ktime_to_ns(ktime_sub(ktime_get(), s->started)) * runtime->rate, NSEC_PER_SEC);
	bool playback = s->substream->stream == SNDRV_PCM_STREAM_PLAYBACK;

	while (s->running && s->frames_done < due) {
		u8 *frame = (playback ? s->device_copy : runtime->dma_area) + s->pos * frame_bytes;

		if (playback) {
			snd_pcm_uframes_t hw = (s->hw_start + s->frames_done) % runtime->boundary;
			snd_pcm_uframes_t appl = READ_ONCE(runtime->control->appl_ptr);
			snd_pcm_sframes_t queued = (snd_pcm_sframes_t)appl - (snd_pcm_sframes_t)hw;

			if (queued < 0)
				queued += runtime->boundary;
			if (queued > 0 && queued <= runtime->buffer_size) {
				s->stats.frames++;
				s->stats.checksum = fnv1a(s->stats.checksum, frame, frame_bytes);
			} else {
				s->stats.underrun_frames++;
			}
		} else {
			unsigned int b;

			for (b = 0; b < frame_bytes; b++)
				frame[b] = es_capture_byte(s->frames_done, b);
			s->stats.frames++;
			s->stats.checksum = fnv1a(s->stats.checksum, frame, frame_bytes);
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

	return &es->stream[substream->stream];
}

static int es_open(struct snd_pcm_substream *substream)
{
	struct es_stream *s = es_stream_of(substream);

	s->device_copy = vzalloc(ES_BUFFER_BYTES_MAX);
	if (!s->device_copy)
		return -ENOMEM;
	s->substream = substream;
	s->running = false;
	memset(&s->stats, 0, sizeof(s->stats));
	s->stats.checksum = FNV_OFFSET;
	substream->runtime->hw = es_hardware;
	return 0;
}

static int es_close(struct snd_pcm_substream *substream)
{
	struct es_stream *s = es_stream_of(substream);

	hrtimer_cancel(&s->timer);
	vfree(s->device_copy);
	s->device_copy = NULL;
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

/* appl_ptr moved through the kernel: the data the CPU wrote now reaches the device. */
static int es_ack(struct snd_pcm_substream *substream)
{
	struct es_stream *s = es_stream_of(substream);
	struct snd_pcm_runtime *runtime = substream->runtime;
	unsigned long flags;

	if (substream->stream != SNDRV_PCM_STREAM_PLAYBACK || !runtime->dma_area)
		return 0;
	spin_lock_irqsave(&s->lock, flags);
	es_advance(s);	/* frames due before this flush were played from the old copy */
	memcpy(s->device_copy, runtime->dma_area, min_t(size_t, runtime->dma_bytes, ES_BUFFER_BYTES_MAX));
	spin_unlock_irqrestore(&s->lock, flags);
	return 0;
}

static const struct snd_pcm_ops es_ops = {
	.open = es_open,
	.close = es_close,
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

	spin_lock_irqsave(&es->stream[0].lock, flags);
	p = es->stream[0].stats;
	spin_unlock_irqrestore(&es->stream[0].lock, flags);
	spin_lock_irqsave(&es->stream[1].lock, flags);
	c = es->stream[1].stats;
	spin_unlock_irqrestore(&es->stream[1].lock, flags);
	snd_iprintf(buffer, "playback_frames %llu\n", p.frames);
	snd_iprintf(buffer, "playback_checksum 0x%016llx\n", p.checksum);
	snd_iprintf(buffer, "playback_underrun_frames %llu\n", p.underrun_frames);
	snd_iprintf(buffer, "playback_xruns %llu\n", p.xruns);
	snd_iprintf(buffer, "capture_frames %llu\n", c.frames);
	snd_iprintf(buffer, "capture_checksum 0x%016llx\n", c.checksum);
}

static int __init es_init(void)
{
	struct snd_card *card;
	struct snd_pcm *pcm;
	struct es_card *es;
	int i, err;

	es_device = platform_device_register_simple("snd_explicit_sync", -1, NULL, 0);
	if (IS_ERR(es_device))
		return PTR_ERR(es_device);
	err = snd_card_new(&es_device->dev, index, NULL, THIS_MODULE, sizeof(*es), &card);
	if (err < 0)
		goto fail_device;
	es = card->private_data;
	es->card = card;
	for (i = 0; i < 2; i++) {
		spin_lock_init(&es->stream[i].lock);
		hrtimer_init(&es->stream[i].timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
		es->stream[i].timer.function = es_tick;
		es->stream[i].stats.checksum = FNV_OFFSET;
	}
	strscpy(card->driver, "ExplicitSync", sizeof(card->driver));
	strscpy(card->shortname, "ExplicitSync", sizeof(card->shortname));
	strscpy(card->longname, "ExplicitSync test card (non-coherent DMA model)", sizeof(card->longname));
	err = snd_pcm_new(card, "ExplicitSync PCM", 0, 1, 1, &pcm);
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
	es_snd_card = card;
	return 0;

fail_card:
	snd_card_free(card);
fail_device:
	platform_device_unregister(es_device);
	return err;
}

static void __exit es_exit(void)
{
	snd_card_free(es_snd_card);
	platform_device_unregister(es_device);
}

module_init(es_init);
module_exit(es_exit);
