/*
 * The Linux kernel's ALSA PCM ABI, as Swift needs it.
 *
 * <sound/asound.h> spells ioctl numbers and formats as function-like or cast macros, and keeps
 * hw_params masks and intervals in arrays of bitfield structs. Swift imports none of that, so this
 * header re-exports each value as a constant and gives index-based accessors. Nothing here decides
 * anything: policy lives in the Swift layer above the syscall seam.
 */
#ifndef ALSASWIFT_CALSAKERNEL_H
#define ALSASWIFT_CALSAKERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h> /* asound.h uses _IOR/_IOW/_IOWR without including this */
#include <sound/asound.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* ioctl(2) with a pointer argument, as a plain (not variadic) function: Swift's Glibc overlay
 * reaches the variadic ioctl through a wrapper function of its own, a call frame per period on the
 * read/write path; this one inlines into its Swift caller, which then calls libc directly. */
static inline int alsa_ioctl(int fd, unsigned long request, void *argument)
{
	return ioctl(fd, request, argument);
}

/* pipe2(ends, O_CLOEXEC): a pipe whose ends are close-on-exec from the start, so a fork/exec on
 * another thread of the app can never inherit them (pipe() then FD_CLOEXEC leaves that window).
 * Swift's Glibc module leaves out pipe2 (a _GNU_SOURCE declaration); the system call is the same. */
static inline int alsa_pipe_cloexec(int ends[2])
{
	return (int)syscall(SYS_pipe2, ends, O_CLOEXEC);
}

/* timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC): Swift's Glibc module leaves out
 * <sys/timerfd.h>. Timer-scheduled streams sleep on it beside their PCM's descriptors. */
static inline int alsa_timer_create(void)
{
	return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
}

/* timerfd_settime with TFD_TIMER_ABSTIME: one expiry at the instant `seconds`.`nanoseconds` of
 * CLOCK_MONOTONIC, or none when both are 0 (the kernel's way to disarm). */
static inline int alsa_timer_set(int fd, long long seconds, long nanoseconds)
{
	struct itimerspec value = { .it_interval = { 0, 0 }, .it_value = { (time_t)seconds, nanoseconds } };
	return timerfd_settime(fd, TFD_TIMER_ABSTIME, &value, NULL);
}

/* ---- ioctl requests ---------------------------------------------------------------------- */
static const unsigned long ALSA_IOCTL_PVERSION = SNDRV_PCM_IOCTL_PVERSION;
static const unsigned long ALSA_IOCTL_INFO = SNDRV_PCM_IOCTL_INFO;
static const unsigned long ALSA_IOCTL_TSTAMP = SNDRV_PCM_IOCTL_TSTAMP;
static const unsigned long ALSA_IOCTL_TTSTAMP = SNDRV_PCM_IOCTL_TTSTAMP;
static const unsigned long ALSA_IOCTL_USER_PVERSION = SNDRV_PCM_IOCTL_USER_PVERSION;
static const unsigned long ALSA_IOCTL_HW_REFINE = SNDRV_PCM_IOCTL_HW_REFINE;
static const unsigned long ALSA_IOCTL_HW_PARAMS = SNDRV_PCM_IOCTL_HW_PARAMS;
static const unsigned long ALSA_IOCTL_HW_FREE = SNDRV_PCM_IOCTL_HW_FREE;
static const unsigned long ALSA_IOCTL_SW_PARAMS = SNDRV_PCM_IOCTL_SW_PARAMS;
static const unsigned long ALSA_IOCTL_STATUS = SNDRV_PCM_IOCTL_STATUS;
static const unsigned long ALSA_IOCTL_DELAY = SNDRV_PCM_IOCTL_DELAY;
static const unsigned long ALSA_IOCTL_HWSYNC = SNDRV_PCM_IOCTL_HWSYNC;
static const unsigned long ALSA_IOCTL_SYNC_PTR = SNDRV_PCM_IOCTL_SYNC_PTR;
static const unsigned long ALSA_IOCTL_STATUS_EXT = SNDRV_PCM_IOCTL_STATUS_EXT;
static const unsigned long ALSA_IOCTL_CHANNEL_INFO = SNDRV_PCM_IOCTL_CHANNEL_INFO;
static const unsigned long ALSA_IOCTL_PREPARE = SNDRV_PCM_IOCTL_PREPARE;
static const unsigned long ALSA_IOCTL_RESET = SNDRV_PCM_IOCTL_RESET;
static const unsigned long ALSA_IOCTL_START = SNDRV_PCM_IOCTL_START;
static const unsigned long ALSA_IOCTL_DROP = SNDRV_PCM_IOCTL_DROP;
static const unsigned long ALSA_IOCTL_DRAIN = SNDRV_PCM_IOCTL_DRAIN;
static const unsigned long ALSA_IOCTL_PAUSE = SNDRV_PCM_IOCTL_PAUSE;
static const unsigned long ALSA_IOCTL_REWIND = SNDRV_PCM_IOCTL_REWIND;
static const unsigned long ALSA_IOCTL_RESUME = SNDRV_PCM_IOCTL_RESUME;
static const unsigned long ALSA_IOCTL_XRUN = SNDRV_PCM_IOCTL_XRUN;
static const unsigned long ALSA_IOCTL_FORWARD = SNDRV_PCM_IOCTL_FORWARD;
static const unsigned long ALSA_IOCTL_WRITEI_FRAMES = SNDRV_PCM_IOCTL_WRITEI_FRAMES;
static const unsigned long ALSA_IOCTL_READI_FRAMES = SNDRV_PCM_IOCTL_READI_FRAMES;
static const unsigned long ALSA_IOCTL_WRITEN_FRAMES = SNDRV_PCM_IOCTL_WRITEN_FRAMES;
static const unsigned long ALSA_IOCTL_READN_FRAMES = SNDRV_PCM_IOCTL_READN_FRAMES;
/* LINK takes the other PCM's descriptor as its value argument, not through a pointer. */
static const unsigned long ALSA_IOCTL_LINK = SNDRV_PCM_IOCTL_LINK;
static const unsigned long ALSA_IOCTL_UNLINK = SNDRV_PCM_IOCTL_UNLINK;

/* ---- control device (/dev/snd/controlC<card>): card identity and PCM enumeration -------- */
static const unsigned long ALSA_IOCTL_CTL_PVERSION = SNDRV_CTL_IOCTL_PVERSION;
static const unsigned long ALSA_IOCTL_CTL_CARD_INFO = SNDRV_CTL_IOCTL_CARD_INFO;
static const unsigned long ALSA_IOCTL_CTL_PCM_NEXT_DEVICE = SNDRV_CTL_IOCTL_PCM_NEXT_DEVICE;
static const unsigned long ALSA_IOCTL_CTL_PCM_INFO = SNDRV_CTL_IOCTL_PCM_INFO;
static const unsigned long ALSA_IOCTL_CTL_PCM_PREFER_SUBDEVICE = SNDRV_CTL_IOCTL_PCM_PREFER_SUBDEVICE;
static const unsigned int ALSA_CTL_VERSION = SNDRV_CTL_VERSION;

/* ---- control device: elements, values, TLV and events ---------------------------------- */
#include <sound/tlv.h>
static const unsigned long ALSA_IOCTL_CTL_ELEM_LIST = SNDRV_CTL_IOCTL_ELEM_LIST;
static const unsigned long ALSA_IOCTL_CTL_ELEM_INFO = SNDRV_CTL_IOCTL_ELEM_INFO;
static const unsigned long ALSA_IOCTL_CTL_ELEM_READ = SNDRV_CTL_IOCTL_ELEM_READ;
static const unsigned long ALSA_IOCTL_CTL_ELEM_WRITE = SNDRV_CTL_IOCTL_ELEM_WRITE;
static const unsigned long ALSA_IOCTL_CTL_SUBSCRIBE_EVENTS = SNDRV_CTL_IOCTL_SUBSCRIBE_EVENTS;
static const unsigned long ALSA_IOCTL_CTL_TLV_READ = SNDRV_CTL_IOCTL_TLV_READ;
static const unsigned int ALSA_CTL_ELEM_ID_NAME_MAXLEN = SNDRV_CTL_ELEM_ID_NAME_MAXLEN;
static const int ALSA_CTL_EVENT_ELEM = SNDRV_CTL_EVENT_ELEM;
static const unsigned int ALSA_CTL_EVENT_MASK_VALUE = SNDRV_CTL_EVENT_MASK_VALUE;
static const unsigned int ALSA_CTL_EVENT_MASK_INFO = SNDRV_CTL_EVENT_MASK_INFO;
static const unsigned int ALSA_CTL_EVENT_MASK_ADD = SNDRV_CTL_EVENT_MASK_ADD;
static const unsigned int ALSA_CTL_EVENT_MASK_TLV = SNDRV_CTL_EVENT_MASK_TLV;
static const unsigned int ALSA_CTL_EVENT_MASK_REMOVE = SNDRV_CTL_EVENT_MASK_REMOVE;
static const unsigned int ALSA_CTL_ELEM_ACCESS_READ = SNDRV_CTL_ELEM_ACCESS_READ;
static const unsigned int ALSA_CTL_ELEM_ACCESS_WRITE = SNDRV_CTL_ELEM_ACCESS_WRITE;
static const unsigned int ALSA_CTL_ELEM_ACCESS_VOLATILE = SNDRV_CTL_ELEM_ACCESS_VOLATILE;
static const unsigned int ALSA_CTL_ELEM_ACCESS_TLV_READ = SNDRV_CTL_ELEM_ACCESS_TLV_READ;
static const unsigned int ALSA_CTL_ELEM_ACCESS_TLV_WRITE = SNDRV_CTL_ELEM_ACCESS_TLV_WRITE;
static const unsigned int ALSA_CTL_ELEM_ACCESS_INACTIVE = SNDRV_CTL_ELEM_ACCESS_INACTIVE;
static const unsigned int ALSA_CTL_ELEM_ACCESS_LOCK = SNDRV_CTL_ELEM_ACCESS_LOCK;
static const int ALSA_CTL_ELEM_TYPE_BOOLEAN = SNDRV_CTL_ELEM_TYPE_BOOLEAN;
static const int ALSA_CTL_ELEM_TYPE_INTEGER = SNDRV_CTL_ELEM_TYPE_INTEGER;
static const int ALSA_CTL_ELEM_TYPE_ENUMERATED = SNDRV_CTL_ELEM_TYPE_ENUMERATED;
static const int ALSA_CTL_ELEM_TYPE_BYTES = SNDRV_CTL_ELEM_TYPE_BYTES;
static const int ALSA_CTL_ELEM_TYPE_IEC958 = SNDRV_CTL_ELEM_TYPE_IEC958;
static const int ALSA_CTL_ELEM_TYPE_INTEGER64 = SNDRV_CTL_ELEM_TYPE_INTEGER64;
static const unsigned int ALSA_CTL_TLVT_CONTAINER = SNDRV_CTL_TLVT_CONTAINER;
static const unsigned int ALSA_CTL_TLVT_DB_SCALE = SNDRV_CTL_TLVT_DB_SCALE;
static const unsigned int ALSA_CTL_TLVT_DB_LINEAR = SNDRV_CTL_TLVT_DB_LINEAR;
static const unsigned int ALSA_CTL_TLVT_DB_RANGE = SNDRV_CTL_TLVT_DB_RANGE;
static const unsigned int ALSA_CTL_TLVT_DB_MINMAX = SNDRV_CTL_TLVT_DB_MINMAX;
static const unsigned int ALSA_CTL_TLVT_DB_MINMAX_MUTE = SNDRV_CTL_TLVT_DB_MINMAX_MUTE;
static const int ALSA_CTL_TLV_DB_GAIN_MUTE = SNDRV_CTL_TLVD_DB_GAIN_MUTE;
/* An element value's payload, which the record keeps after a one-bit bitfield. */
static inline long *alsa_ctl_value_integers(struct snd_ctl_elem_value *value)
{
    return value->value.integer.value;
}
static inline long long *alsa_ctl_value_integers64(struct snd_ctl_elem_value *value)
{
    return value->value.integer64.value;
}
static inline unsigned int *alsa_ctl_value_items(struct snd_ctl_elem_value *value)
{
    return value->value.enumerated.item;
}
static inline unsigned char *alsa_ctl_value_bytes(struct snd_ctl_elem_value *value)
{
    return value->value.bytes.data;
}
/* How many values of each kind one snd_ctl_elem_value holds. */
static const unsigned int ALSA_CTL_VALUE_MAX_INTEGERS = sizeof(((struct snd_ctl_elem_value *)0)->value.integer.value) / sizeof(long);
static const unsigned int ALSA_CTL_VALUE_MAX_INTEGERS64 = sizeof(((struct snd_ctl_elem_value *)0)->value.integer64.value) / sizeof(long long);
static const unsigned int ALSA_CTL_VALUE_MAX_ITEMS = sizeof(((struct snd_ctl_elem_value *)0)->value.enumerated.item) / sizeof(unsigned int);
static const unsigned int ALSA_CTL_VALUE_MAX_BYTES = sizeof(((struct snd_ctl_elem_value *)0)->value.bytes.data);
/* snd_ctl_tlv ends in a flexible array: the header size, after which the TLV words follow. */
static const size_t ALSA_SIZEOF_CTL_TLV_HEADER = sizeof(struct snd_ctl_tlv);
static const size_t ALSA_SIZEOF_CTL_EVENT = sizeof(struct snd_ctl_event);

/* ---- mmap offsets (the _NEW records exist from PCM protocol 2.0.15; on 64-bit the layouts
 *      of OLD and NEW are identical, so the older offsets serve older kernels) ------------- */
static const long ALSA_MMAP_OFFSET_DATA = SNDRV_PCM_MMAP_OFFSET_DATA;
static const long ALSA_MMAP_OFFSET_STATUS_OLD = SNDRV_PCM_MMAP_OFFSET_STATUS_OLD;
static const long ALSA_MMAP_OFFSET_CONTROL_OLD = SNDRV_PCM_MMAP_OFFSET_CONTROL_OLD;
static const long ALSA_MMAP_OFFSET_STATUS_NEW = SNDRV_PCM_MMAP_OFFSET_STATUS_NEW;
static const long ALSA_MMAP_OFFSET_CONTROL_NEW = SNDRV_PCM_MMAP_OFFSET_CONTROL_NEW;

/* ---- protocol -------------------------------------------------------------------------- */
static const unsigned int ALSA_PCM_VERSION = SNDRV_PCM_VERSION;
static inline unsigned int alsa_protocol_version(unsigned int major, unsigned int minor,
                                                 unsigned int subminor)
{
    return SNDRV_PROTOCOL_VERSION(major, minor, subminor);
}

/* ---- SYNC_PTR flags (APPL and AVAIL_MIN are inverted: set = "return the kernel's value") - */
static const unsigned int ALSA_SYNC_PTR_HWSYNC = SNDRV_PCM_SYNC_PTR_HWSYNC;
static const unsigned int ALSA_SYNC_PTR_APPL = SNDRV_PCM_SYNC_PTR_APPL;
static const unsigned int ALSA_SYNC_PTR_AVAIL_MIN = SNDRV_PCM_SYNC_PTR_AVAIL_MIN;

/* ---- info flags ------------------------------------------------------------------------ */
static const unsigned int ALSA_INFO_MMAP = SNDRV_PCM_INFO_MMAP;
static const unsigned int ALSA_INFO_MMAP_VALID = SNDRV_PCM_INFO_MMAP_VALID;
static const unsigned int ALSA_INFO_DOUBLE = SNDRV_PCM_INFO_DOUBLE;
static const unsigned int ALSA_INFO_BATCH = SNDRV_PCM_INFO_BATCH;
static const unsigned int ALSA_INFO_SYNC_APPLPTR = SNDRV_PCM_INFO_SYNC_APPLPTR;
static const unsigned int ALSA_INFO_INTERLEAVED = SNDRV_PCM_INFO_INTERLEAVED;
static const unsigned int ALSA_INFO_NONINTERLEAVED = SNDRV_PCM_INFO_NONINTERLEAVED;
static const unsigned int ALSA_INFO_COMPLEX = SNDRV_PCM_INFO_COMPLEX;
static const unsigned int ALSA_INFO_BLOCK_TRANSFER = SNDRV_PCM_INFO_BLOCK_TRANSFER;
static const unsigned int ALSA_INFO_OVERRANGE = SNDRV_PCM_INFO_OVERRANGE;
static const unsigned int ALSA_INFO_RESUME = SNDRV_PCM_INFO_RESUME;
static const unsigned int ALSA_INFO_PAUSE = SNDRV_PCM_INFO_PAUSE;
static const unsigned int ALSA_INFO_HALF_DUPLEX = SNDRV_PCM_INFO_HALF_DUPLEX;
static const unsigned int ALSA_INFO_JOINT_DUPLEX = SNDRV_PCM_INFO_JOINT_DUPLEX;
static const unsigned int ALSA_INFO_SYNC_START = SNDRV_PCM_INFO_SYNC_START;
static const unsigned int ALSA_INFO_NO_PERIOD_WAKEUP = SNDRV_PCM_INFO_NO_PERIOD_WAKEUP;
/* hw_params.flags: no period interrupts (the kernel honours it only where INFO_NO_PERIOD_WAKEUP is set). */
static const unsigned int ALSA_HW_PARAMS_NO_PERIOD_WAKEUP = SNDRV_PCM_HW_PARAMS_NO_PERIOD_WAKEUP;
static const unsigned int ALSA_INFO_HAS_LINK_ATIME = SNDRV_PCM_INFO_HAS_LINK_ATIME;
static const unsigned int ALSA_INFO_HAS_LINK_ABSOLUTE_ATIME = SNDRV_PCM_INFO_HAS_LINK_ABSOLUTE_ATIME;
static const unsigned int ALSA_INFO_HAS_LINK_ESTIMATED_ATIME = SNDRV_PCM_INFO_HAS_LINK_ESTIMATED_ATIME;
static const unsigned int ALSA_INFO_HAS_LINK_SYNCHRONIZED_ATIME = SNDRV_PCM_INFO_HAS_LINK_SYNCHRONIZED_ATIME;
static const unsigned int ALSA_INFO_EXPLICIT_SYNC = SNDRV_PCM_INFO_EXPLICIT_SYNC;
static const unsigned int ALSA_INFO_NO_REWINDS = SNDRV_PCM_INFO_NO_REWINDS;

/* ---- hw_params parameter indices --------------------------------------------------------- */
static const int ALSA_HW_PARAM_ACCESS = SNDRV_PCM_HW_PARAM_ACCESS;
static const int ALSA_HW_PARAM_FORMAT = SNDRV_PCM_HW_PARAM_FORMAT;
static const int ALSA_HW_PARAM_SUBFORMAT = SNDRV_PCM_HW_PARAM_SUBFORMAT;
static const int ALSA_HW_PARAM_FIRST_MASK = SNDRV_PCM_HW_PARAM_FIRST_MASK;
static const int ALSA_HW_PARAM_LAST_MASK = SNDRV_PCM_HW_PARAM_LAST_MASK;
static const int ALSA_HW_PARAM_SAMPLE_BITS = SNDRV_PCM_HW_PARAM_SAMPLE_BITS;
static const int ALSA_HW_PARAM_FRAME_BITS = SNDRV_PCM_HW_PARAM_FRAME_BITS;
static const int ALSA_HW_PARAM_CHANNELS = SNDRV_PCM_HW_PARAM_CHANNELS;
static const int ALSA_HW_PARAM_RATE = SNDRV_PCM_HW_PARAM_RATE;
static const int ALSA_HW_PARAM_PERIOD_TIME = SNDRV_PCM_HW_PARAM_PERIOD_TIME;
static const int ALSA_HW_PARAM_PERIOD_SIZE = SNDRV_PCM_HW_PARAM_PERIOD_SIZE;
static const int ALSA_HW_PARAM_PERIOD_BYTES = SNDRV_PCM_HW_PARAM_PERIOD_BYTES;
static const int ALSA_HW_PARAM_PERIODS = SNDRV_PCM_HW_PARAM_PERIODS;
static const int ALSA_HW_PARAM_BUFFER_TIME = SNDRV_PCM_HW_PARAM_BUFFER_TIME;
static const int ALSA_HW_PARAM_BUFFER_SIZE = SNDRV_PCM_HW_PARAM_BUFFER_SIZE;
static const int ALSA_HW_PARAM_BUFFER_BYTES = SNDRV_PCM_HW_PARAM_BUFFER_BYTES;
static const int ALSA_HW_PARAM_TICK_TIME = SNDRV_PCM_HW_PARAM_TICK_TIME;
static const int ALSA_HW_PARAM_FIRST_INTERVAL = SNDRV_PCM_HW_PARAM_FIRST_INTERVAL;
static const int ALSA_HW_PARAM_LAST_INTERVAL = SNDRV_PCM_HW_PARAM_LAST_INTERVAL;
static const int ALSA_MASK_MAX = SNDRV_MASK_MAX;

/* ---- stream, state, tstamp ------------------------------------------------------------- */
static const int ALSA_STREAM_PLAYBACK = SNDRV_PCM_STREAM_PLAYBACK;
static const int ALSA_STREAM_CAPTURE = SNDRV_PCM_STREAM_CAPTURE;
static const int ALSA_TSTAMP_NONE = SNDRV_PCM_TSTAMP_NONE;
static const int ALSA_TSTAMP_ENABLE = SNDRV_PCM_TSTAMP_ENABLE;
static const int ALSA_TSTAMP_TYPE_GETTIMEOFDAY = SNDRV_PCM_TSTAMP_TYPE_GETTIMEOFDAY;
static const int ALSA_TSTAMP_TYPE_MONOTONIC = SNDRV_PCM_TSTAMP_TYPE_MONOTONIC;
static const int ALSA_TSTAMP_TYPE_MONOTONIC_RAW = SNDRV_PCM_TSTAMP_TYPE_MONOTONIC_RAW;

/* ---- audio timestamps (STATUS_EXT): the request goes in the low bits of audio_tstamp_data
 *      (type in bits 0-3, report_delay in bit 4); the kernel's report comes back in bits 16 on
 *      (valid in bit 16, actual type in bits 17-20, accuracy_report in bit 21) -------------- */
static const unsigned int ALSA_AUDIO_TSTAMP_TYPE_COMPAT = SNDRV_PCM_AUDIO_TSTAMP_TYPE_COMPAT;
static const unsigned int ALSA_AUDIO_TSTAMP_TYPE_DEFAULT = SNDRV_PCM_AUDIO_TSTAMP_TYPE_DEFAULT;
static const unsigned int ALSA_AUDIO_TSTAMP_TYPE_LINK = SNDRV_PCM_AUDIO_TSTAMP_TYPE_LINK;
static const unsigned int ALSA_AUDIO_TSTAMP_TYPE_LINK_ABSOLUTE = SNDRV_PCM_AUDIO_TSTAMP_TYPE_LINK_ABSOLUTE;
static const unsigned int ALSA_AUDIO_TSTAMP_TYPE_LINK_ESTIMATED = SNDRV_PCM_AUDIO_TSTAMP_TYPE_LINK_ESTIMATED;
static const unsigned int ALSA_AUDIO_TSTAMP_TYPE_LINK_SYNCHRONIZED = SNDRV_PCM_AUDIO_TSTAMP_TYPE_LINK_SYNCHRONIZED;

/* ---- channel maps: positions, flag bits, and the TLV types of a CHMAP control ----------- */
static const unsigned int ALSA_CHMAP_UNKNOWN = SNDRV_CHMAP_UNKNOWN;
static const unsigned int ALSA_CHMAP_LAST = SNDRV_CHMAP_LAST;
static const unsigned int ALSA_CHMAP_POSITION_MASK = SNDRV_CHMAP_POSITION_MASK;
static const unsigned int ALSA_CHMAP_PHASE_INVERSE = SNDRV_CHMAP_PHASE_INVERSE;
static const unsigned int ALSA_CHMAP_DRIVER_SPEC = SNDRV_CHMAP_DRIVER_SPEC;
static const unsigned int ALSA_CTL_TLVT_CHMAP_FIXED = SNDRV_CTL_TLVT_CHMAP_FIXED;
static const unsigned int ALSA_CTL_TLVT_CHMAP_VAR = SNDRV_CTL_TLVT_CHMAP_VAR;
static const unsigned int ALSA_CTL_TLVT_CHMAP_PAIRED = SNDRV_CTL_TLVT_CHMAP_PAIRED;

/* ---- hw_params accessors ----------------------------------------------------------------- */
/* A mask parameter's bits (params is one of ACCESS, FORMAT, SUBFORMAT). */
static inline struct snd_mask *alsa_hw_mask(struct snd_pcm_hw_params *params, int param)
{
    return &params->masks[param - SNDRV_PCM_HW_PARAM_FIRST_MASK];
}
static inline const struct snd_mask *alsa_hw_mask_const(const struct snd_pcm_hw_params *params,
                                                        int param)
{
    return &params->masks[param - SNDRV_PCM_HW_PARAM_FIRST_MASK];
}
static inline bool alsa_mask_test(const struct snd_mask *mask, unsigned int bit)
{
    return bit < SNDRV_MASK_MAX && (mask->bits[bit >> 5] & (1u << (bit & 31))) != 0;
}
static inline void alsa_mask_set(struct snd_mask *mask, unsigned int bit)
{
    if (bit < SNDRV_MASK_MAX)
        mask->bits[bit >> 5] |= 1u << (bit & 31);
}
static inline void alsa_mask_reset(struct snd_mask *mask, unsigned int bit)
{
    if (bit < SNDRV_MASK_MAX)
        mask->bits[bit >> 5] &= ~(1u << (bit & 31));
}
static inline void alsa_mask_fill(struct snd_mask *mask)
{
    for (size_t i = 0; i < sizeof(mask->bits) / sizeof(mask->bits[0]); i++)
        mask->bits[i] = ~0u;
}
static inline void alsa_mask_clear(struct snd_mask *mask)
{
    for (size_t i = 0; i < sizeof(mask->bits) / sizeof(mask->bits[0]); i++)
        mask->bits[i] = 0;
}
static inline bool alsa_mask_is_empty(const struct snd_mask *mask)
{
    for (size_t i = 0; i < sizeof(mask->bits) / sizeof(mask->bits[0]); i++)
        if (mask->bits[i])
            return false;
    return true;
}

/* An interval parameter (SAMPLE_BITS ... TICK_TIME). */
static inline struct snd_interval *alsa_hw_interval(struct snd_pcm_hw_params *params, int param)
{
    return &params->intervals[param - SNDRV_PCM_HW_PARAM_FIRST_INTERVAL];
}
static inline const struct snd_interval *
alsa_hw_interval_const(const struct snd_pcm_hw_params *params, int param)
{
    return &params->intervals[param - SNDRV_PCM_HW_PARAM_FIRST_INTERVAL];
}

/* ---- channel-info / transfer records -------------------------------------------------- */
/* Byte offsets the Swift layout tests compare with MemoryLayout (the kernel ABI is fixed). */
static const size_t ALSA_SIZEOF_SYNC_PTR = sizeof(struct snd_pcm_sync_ptr);
static const size_t ALSA_SIZEOF_HW_PARAMS = sizeof(struct snd_pcm_hw_params);
static const size_t ALSA_SIZEOF_SW_PARAMS = sizeof(struct snd_pcm_sw_params);
static const size_t ALSA_SIZEOF_STATUS = sizeof(struct snd_pcm_status);
static const size_t ALSA_SIZEOF_MMAP_STATUS = sizeof(struct snd_pcm_mmap_status);
static const size_t ALSA_SIZEOF_MMAP_CONTROL = sizeof(struct snd_pcm_mmap_control);
static const size_t ALSA_SIZEOF_INFO = sizeof(struct snd_pcm_info);
static const size_t ALSA_OFFSETOF_HW_PARAMS_INFO = offsetof(struct snd_pcm_hw_params, info);
static const size_t ALSA_OFFSETOF_SYNC_PTR_CONTROL = offsetof(struct snd_pcm_sync_ptr, c);

/* ---- raw MIDI (/dev/snd/midiC<card>D<device>) and its control-device listing ------------- */
static const unsigned long ALSA_IOCTL_RAWMIDI_PVERSION = SNDRV_RAWMIDI_IOCTL_PVERSION;
static const unsigned long ALSA_IOCTL_RAWMIDI_INFO = SNDRV_RAWMIDI_IOCTL_INFO;
static const unsigned long ALSA_IOCTL_RAWMIDI_PARAMS = SNDRV_RAWMIDI_IOCTL_PARAMS;
static const unsigned long ALSA_IOCTL_RAWMIDI_STATUS = SNDRV_RAWMIDI_IOCTL_STATUS;
static const unsigned long ALSA_IOCTL_RAWMIDI_DROP = SNDRV_RAWMIDI_IOCTL_DROP;
static const unsigned long ALSA_IOCTL_RAWMIDI_DRAIN = SNDRV_RAWMIDI_IOCTL_DRAIN;
static const unsigned long ALSA_IOCTL_CTL_RAWMIDI_NEXT_DEVICE = SNDRV_CTL_IOCTL_RAWMIDI_NEXT_DEVICE;
static const unsigned long ALSA_IOCTL_CTL_RAWMIDI_INFO = SNDRV_CTL_IOCTL_RAWMIDI_INFO;
static const unsigned long ALSA_IOCTL_CTL_RAWMIDI_PREFER_SUBDEVICE = SNDRV_CTL_IOCTL_RAWMIDI_PREFER_SUBDEVICE;
static const unsigned int ALSA_RAWMIDI_VERSION = SNDRV_RAWMIDI_VERSION;
static const int ALSA_RAWMIDI_STREAM_OUTPUT = SNDRV_RAWMIDI_STREAM_OUTPUT;
static const int ALSA_RAWMIDI_STREAM_INPUT = SNDRV_RAWMIDI_STREAM_INPUT;
static const unsigned int ALSA_RAWMIDI_INFO_OUTPUT = SNDRV_RAWMIDI_INFO_OUTPUT;
static const unsigned int ALSA_RAWMIDI_INFO_INPUT = SNDRV_RAWMIDI_INFO_INPUT;
static const unsigned int ALSA_RAWMIDI_INFO_DUPLEX = SNDRV_RAWMIDI_INFO_DUPLEX;
/* no_active_sensing is a one-bit bitfield before `mode`. */
static inline void alsa_rawmidi_params_set_no_active_sensing(struct snd_rawmidi_params *params, bool on)
{
    params->no_active_sensing = on ? 1 : 0;
}
static inline bool alsa_rawmidi_params_no_active_sensing(const struct snd_rawmidi_params *params)
{
    return params->no_active_sensing != 0;
}
static const size_t ALSA_SIZEOF_RAWMIDI_INFO = sizeof(struct snd_rawmidi_info);
static const size_t ALSA_SIZEOF_RAWMIDI_PARAMS = sizeof(struct snd_rawmidi_params);
static const size_t ALSA_SIZEOF_RAWMIDI_STATUS = sizeof(struct snd_rawmidi_status);

/* ---- the sequencer: mirrored in a header of its own (see there why) ---------------------- */
#include "CAlsaSequencer.h"

/* The PCM protocol version this package was compiled against. */
unsigned int alsa_swift_compiled_pcm_version(void);

#endif
