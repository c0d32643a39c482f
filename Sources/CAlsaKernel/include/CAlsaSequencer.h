/*
 * The Linux kernel's ALSA sequencer ABI (/dev/snd/seq), as Swift needs it.
 *
 * <sound/asequencer.h> cannot be part of this module: alsa-lib's <alsa/seq_event.h> (module CAlsa)
 * defines `struct snd_seq_event` and its data union differently, and Clang refuses two modules
 * with two definitions of one struct in the same Swift module. So the records the ioctls carry
 * are mirrored here under names of their own, field for field, and abi_check.c (which includes
 * the kernel's header and not alsa-lib's) proves at compile time that every size, offset, ioctl
 * number and constant below is the kernel's. The event record itself is read and written as
 * bytes at the offsets given here.
 */
#ifndef ALSASWIFT_CALSASEQUENCER_H
#define ALSASWIFT_CALSASEQUENCER_H

#include <stddef.h>
#include <sys/ioctl.h>

struct alsa_seq_addr {
    unsigned char client;
    unsigned char port;
};

struct alsa_seq_real_time {
    unsigned int tv_sec;
    unsigned int tv_nsec;
};

struct alsa_seq_system_info {
    int queues;
    int clients;
    int ports;
    int channels;
    int cur_clients;
    int cur_queues;
    char reserved[24];
};

struct alsa_seq_client_info {
    int client;
    int type;
    char name[64];
    unsigned int filter;
    unsigned char multicast_filter[8];
    unsigned char event_filter[32];
    int num_ports;
    int event_lost;
    int card;
    int pid;
    char reserved[56];
};

struct alsa_seq_client_pool {
    int client;
    int output_pool;
    int input_pool;
    int output_room;
    int output_free;
    int input_free;
    char reserved[64];
};

struct alsa_seq_port_info {
    struct alsa_seq_addr addr;
    char name[64];
    unsigned int capability;
    unsigned int type;
    int midi_channels;
    int midi_voices;
    int synth_voices;
    int read_use;
    int write_use;
    void *kernel;
    unsigned int flags;
    unsigned char time_queue;
    char reserved[59];
};

struct alsa_seq_port_subscribe {
    struct alsa_seq_addr sender;
    struct alsa_seq_addr dest;
    unsigned int voices;
    unsigned int flags;
    unsigned char queue;
    unsigned char pad[3];
    char reserved[64];
};

struct alsa_seq_query_subs {
    struct alsa_seq_addr root;
    int type;
    int index;
    int num_subs;
    struct alsa_seq_addr addr;
    unsigned char queue;
    unsigned int flags;
    char reserved[64];
};

struct alsa_seq_queue_info {
    int queue;
    int owner;
    unsigned locked : 1;
    char name[64];
    unsigned int flags;
    char reserved[60];
};

struct alsa_seq_queue_status {
    int queue;
    int events;
    unsigned int tick;
    struct alsa_seq_real_time time;
    int running;
    int flags;
    char reserved[64];
};

struct alsa_seq_queue_tempo {
    int queue;
    unsigned int tempo;
    int ppq;
    unsigned int skew_value;
    unsigned int skew_base;
    char reserved[24];
};

/* queue_info's `locked` is a one-bit bitfield. */
static inline void alsa_seq_queue_info_set_locked(struct alsa_seq_queue_info *info, int locked)
{
    info->locked = locked ? 1 : 0;
}
static inline int alsa_seq_queue_info_locked(const struct alsa_seq_queue_info *info) { return info->locked; }

/* ---- ioctl requests (the kernel's numbers: checked in abi_check.c) ----------------------- */
#define ALSA_SEQ_IOCTL_PVERSION_NUMBER _IOR('S', 0x00, int)
#define ALSA_SEQ_IOCTL_CLIENT_ID_NUMBER _IOR('S', 0x01, int)
#define ALSA_SEQ_IOCTL_SYSTEM_INFO_NUMBER _IOWR('S', 0x02, struct alsa_seq_system_info)
#define ALSA_SEQ_IOCTL_GET_CLIENT_INFO_NUMBER _IOWR('S', 0x10, struct alsa_seq_client_info)
#define ALSA_SEQ_IOCTL_SET_CLIENT_INFO_NUMBER _IOW('S', 0x11, struct alsa_seq_client_info)
#define ALSA_SEQ_IOCTL_CREATE_PORT_NUMBER _IOWR('S', 0x20, struct alsa_seq_port_info)
#define ALSA_SEQ_IOCTL_DELETE_PORT_NUMBER _IOW('S', 0x21, struct alsa_seq_port_info)
#define ALSA_SEQ_IOCTL_GET_PORT_INFO_NUMBER _IOWR('S', 0x22, struct alsa_seq_port_info)
#define ALSA_SEQ_IOCTL_SUBSCRIBE_PORT_NUMBER _IOW('S', 0x30, struct alsa_seq_port_subscribe)
#define ALSA_SEQ_IOCTL_UNSUBSCRIBE_PORT_NUMBER _IOW('S', 0x31, struct alsa_seq_port_subscribe)
#define ALSA_SEQ_IOCTL_CREATE_QUEUE_NUMBER _IOWR('S', 0x32, struct alsa_seq_queue_info)
#define ALSA_SEQ_IOCTL_DELETE_QUEUE_NUMBER _IOW('S', 0x33, struct alsa_seq_queue_info)
#define ALSA_SEQ_IOCTL_GET_QUEUE_STATUS_NUMBER _IOWR('S', 0x40, struct alsa_seq_queue_status)
#define ALSA_SEQ_IOCTL_GET_QUEUE_TEMPO_NUMBER _IOWR('S', 0x41, struct alsa_seq_queue_tempo)
#define ALSA_SEQ_IOCTL_SET_QUEUE_TEMPO_NUMBER _IOW('S', 0x42, struct alsa_seq_queue_tempo)
#define ALSA_SEQ_IOCTL_GET_CLIENT_POOL_NUMBER _IOWR('S', 0x4b, struct alsa_seq_client_pool)
#define ALSA_SEQ_IOCTL_SET_CLIENT_POOL_NUMBER _IOW('S', 0x4c, struct alsa_seq_client_pool)
#define ALSA_SEQ_IOCTL_QUERY_SUBS_NUMBER _IOWR('S', 0x4f, struct alsa_seq_query_subs)
#define ALSA_SEQ_IOCTL_GET_SUBSCRIPTION_NUMBER _IOWR('S', 0x50, struct alsa_seq_port_subscribe)
#define ALSA_SEQ_IOCTL_QUERY_NEXT_CLIENT_NUMBER _IOWR('S', 0x51, struct alsa_seq_client_info)
#define ALSA_SEQ_IOCTL_QUERY_NEXT_PORT_NUMBER _IOWR('S', 0x52, struct alsa_seq_port_info)

static const unsigned long ALSA_IOCTL_SEQ_PVERSION = ALSA_SEQ_IOCTL_PVERSION_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_CLIENT_ID = ALSA_SEQ_IOCTL_CLIENT_ID_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_SYSTEM_INFO = ALSA_SEQ_IOCTL_SYSTEM_INFO_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_GET_CLIENT_INFO = ALSA_SEQ_IOCTL_GET_CLIENT_INFO_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_SET_CLIENT_INFO = ALSA_SEQ_IOCTL_SET_CLIENT_INFO_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_CREATE_PORT = ALSA_SEQ_IOCTL_CREATE_PORT_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_DELETE_PORT = ALSA_SEQ_IOCTL_DELETE_PORT_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_GET_PORT_INFO = ALSA_SEQ_IOCTL_GET_PORT_INFO_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_SUBSCRIBE_PORT = ALSA_SEQ_IOCTL_SUBSCRIBE_PORT_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_UNSUBSCRIBE_PORT = ALSA_SEQ_IOCTL_UNSUBSCRIBE_PORT_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_CREATE_QUEUE = ALSA_SEQ_IOCTL_CREATE_QUEUE_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_DELETE_QUEUE = ALSA_SEQ_IOCTL_DELETE_QUEUE_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_GET_QUEUE_STATUS = ALSA_SEQ_IOCTL_GET_QUEUE_STATUS_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_GET_QUEUE_TEMPO = ALSA_SEQ_IOCTL_GET_QUEUE_TEMPO_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_SET_QUEUE_TEMPO = ALSA_SEQ_IOCTL_SET_QUEUE_TEMPO_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_GET_CLIENT_POOL = ALSA_SEQ_IOCTL_GET_CLIENT_POOL_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_SET_CLIENT_POOL = ALSA_SEQ_IOCTL_SET_CLIENT_POOL_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_QUERY_SUBS = ALSA_SEQ_IOCTL_QUERY_SUBS_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_GET_SUBSCRIPTION = ALSA_SEQ_IOCTL_GET_SUBSCRIPTION_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_QUERY_NEXT_CLIENT = ALSA_SEQ_IOCTL_QUERY_NEXT_CLIENT_NUMBER;
static const unsigned long ALSA_IOCTL_SEQ_QUERY_NEXT_PORT = ALSA_SEQ_IOCTL_QUERY_NEXT_PORT_NUMBER;

/* ---- constants (each checked against the kernel's in abi_check.c) -------------------------- */
#define ALSA_SEQ_VERSION_1_0_2 0x010002
enum {
    /* event types */
    ALSA_SEQ_EVENT_SYSTEM = 0,
    ALSA_SEQ_EVENT_RESULT = 1,
    ALSA_SEQ_EVENT_NOTE = 5,
    ALSA_SEQ_EVENT_NOTEON = 6,
    ALSA_SEQ_EVENT_NOTEOFF = 7,
    ALSA_SEQ_EVENT_KEYPRESS = 8,
    ALSA_SEQ_EVENT_CONTROLLER = 10,
    ALSA_SEQ_EVENT_PGMCHANGE = 11,
    ALSA_SEQ_EVENT_CHANPRESS = 12,
    ALSA_SEQ_EVENT_PITCHBEND = 13,
    ALSA_SEQ_EVENT_CONTROL14 = 14,
    ALSA_SEQ_EVENT_NONREGPARAM = 15,
    ALSA_SEQ_EVENT_REGPARAM = 16,
    ALSA_SEQ_EVENT_SONGPOS = 20,
    ALSA_SEQ_EVENT_SONGSEL = 21,
    ALSA_SEQ_EVENT_QFRAME = 22,
    ALSA_SEQ_EVENT_START = 30,
    ALSA_SEQ_EVENT_CONTINUE = 31,
    ALSA_SEQ_EVENT_STOP = 32,
    ALSA_SEQ_EVENT_SETPOS_TICK = 33,
    ALSA_SEQ_EVENT_SETPOS_TIME = 34,
    ALSA_SEQ_EVENT_TEMPO = 35,
    ALSA_SEQ_EVENT_CLOCK = 36,
    ALSA_SEQ_EVENT_TICK = 37,
    ALSA_SEQ_EVENT_TUNE_REQUEST = 40,
    ALSA_SEQ_EVENT_RESET = 41,
    ALSA_SEQ_EVENT_SENSING = 42,
    ALSA_SEQ_EVENT_ECHO = 50,
    ALSA_SEQ_EVENT_CLIENT_START = 60,
    ALSA_SEQ_EVENT_CLIENT_EXIT = 61,
    ALSA_SEQ_EVENT_CLIENT_CHANGE = 62,
    ALSA_SEQ_EVENT_PORT_START = 63,
    ALSA_SEQ_EVENT_PORT_EXIT = 64,
    ALSA_SEQ_EVENT_PORT_CHANGE = 65,
    ALSA_SEQ_EVENT_PORT_SUBSCRIBED = 66,
    ALSA_SEQ_EVENT_PORT_UNSUBSCRIBED = 67,
    ALSA_SEQ_EVENT_SYSEX = 130,
    ALSA_SEQ_EVENT_NONE = 255,

    /* event flags */
    ALSA_SEQ_TIME_STAMP_REAL = 1 << 0,
    ALSA_SEQ_TIME_MODE_REL = 1 << 1,
    ALSA_SEQ_EVENT_LENGTH_VARIABLE = 1 << 2,
    ALSA_SEQ_EVENT_LENGTH_MASK = 3 << 2,

    /* special addresses and queues */
    ALSA_SEQ_ADDRESS_UNKNOWN = 253,
    ALSA_SEQ_ADDRESS_SUBSCRIBERS = 254,
    ALSA_SEQ_ADDRESS_BROADCAST = 255,
    ALSA_SEQ_QUEUE_DIRECT = 253,
    ALSA_SEQ_CLIENT_SYSTEM = 0,
    ALSA_SEQ_CLIENT_DUMMY = 14,
    ALSA_SEQ_PORT_SYSTEM_TIMER = 0,
    ALSA_SEQ_PORT_SYSTEM_ANNOUNCE = 1,

    /* client types */
    ALSA_SEQ_USER_CLIENT = 1,
    ALSA_SEQ_KERNEL_CLIENT = 2,

    /* port capabilities */
    ALSA_SEQ_PORT_CAP_READ = 1 << 0,
    ALSA_SEQ_PORT_CAP_WRITE = 1 << 1,
    ALSA_SEQ_PORT_CAP_SYNC_READ = 1 << 2,
    ALSA_SEQ_PORT_CAP_SYNC_WRITE = 1 << 3,
    ALSA_SEQ_PORT_CAP_DUPLEX = 1 << 4,
    ALSA_SEQ_PORT_CAP_SUBS_READ = 1 << 5,
    ALSA_SEQ_PORT_CAP_SUBS_WRITE = 1 << 6,
    ALSA_SEQ_PORT_CAP_NO_EXPORT = 1 << 7,

    /* port types */
    ALSA_SEQ_PORT_TYPE_SPECIFIC = 1 << 0,
    ALSA_SEQ_PORT_TYPE_MIDI_GENERIC = 1 << 1,
    ALSA_SEQ_PORT_TYPE_MIDI_GM = 1 << 2,
    ALSA_SEQ_PORT_TYPE_SYNTH = 1 << 10,
    ALSA_SEQ_PORT_TYPE_HARDWARE = 1 << 16,
    ALSA_SEQ_PORT_TYPE_SOFTWARE = 1 << 17,
    ALSA_SEQ_PORT_TYPE_SYNTHESIZER = 1 << 18,
    ALSA_SEQ_PORT_TYPE_PORT = 1 << 19,
    ALSA_SEQ_PORT_TYPE_APPLICATION = 1 << 20,

    /* port flags */
    ALSA_SEQ_PORT_FLG_GIVEN_PORT = 1 << 0,
    ALSA_SEQ_PORT_FLG_TIMESTAMP = 1 << 1,
    ALSA_SEQ_PORT_FLG_TIME_REAL = 1 << 2,

    /* subscription flags and queries */
    ALSA_SEQ_PORT_SUBS_EXCLUSIVE = 1 << 0,
    ALSA_SEQ_PORT_SUBS_TIMESTAMP = 1 << 1,
    ALSA_SEQ_PORT_SUBS_TIME_REAL = 1 << 2,
    ALSA_SEQ_QUERY_SUBS_READ = 0,
    ALSA_SEQ_QUERY_SUBS_WRITE = 1,

    /* the event record: 28 bytes, read and written as bytes */
    ALSA_SEQ_EVENT_SIZE = 28,
    ALSA_SEQ_EVENT_OFFSET_TYPE = 0,
    ALSA_SEQ_EVENT_OFFSET_FLAGS = 1,
    ALSA_SEQ_EVENT_OFFSET_TAG = 2,
    ALSA_SEQ_EVENT_OFFSET_QUEUE = 3,
    ALSA_SEQ_EVENT_OFFSET_TIME = 4,
    ALSA_SEQ_EVENT_OFFSET_SOURCE = 12,
    ALSA_SEQ_EVENT_OFFSET_DEST = 14,
    ALSA_SEQ_EVENT_OFFSET_DATA = 16,
};
/* The variable-length data's length word: the kernel keeps flags in its top bits. */
static const unsigned int ALSA_SEQ_EXT_LENGTH_MASK = 0x0fffffffu;

#endif
