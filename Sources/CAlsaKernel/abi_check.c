/* Compile-time proof that the ABI this package was built against is the one the kernel speaks on
 * 64-bit Linux (x86_64, arm64): the sizes below are what the ioctl numbers encode. */
#include "CAlsaKernel.h"
#include "CAlsaSequencer.h"
#include <sound/asequencer.h>

#if defined(__LP64__)
_Static_assert(sizeof(struct snd_pcm_sync_ptr) == 136, "SYNC_PTR record is 136 bytes on LP64");
_Static_assert(sizeof(struct snd_pcm_hw_params) == 608, "hw_params is 608 bytes on LP64");
_Static_assert(sizeof(struct snd_pcm_mmap_status) == 56, "mmap status is 56 bytes on LP64");
_Static_assert(sizeof(struct snd_pcm_mmap_control) == 16, "mmap control is 16 bytes on LP64");
_Static_assert(offsetof(struct snd_pcm_sync_ptr, c) == 72, "control union at 72 on LP64");
#endif
_Static_assert(sizeof(struct snd_ctl_card_info) == 376, "control card info is 376 bytes");
_Static_assert(sizeof(struct snd_pcm_info) == 288, "PCM info is 288 bytes");

/* The sequencer (CAlsaSequencer.h mirrors <sound/asequencer.h>; see why there). The event record,
 * which AlsaSwift reads and writes byte by byte: */
_Static_assert(sizeof(struct snd_seq_event) == ALSA_SEQ_EVENT_SIZE, "event size");
_Static_assert(offsetof(struct snd_seq_event, type) == ALSA_SEQ_EVENT_OFFSET_TYPE, "event type");
_Static_assert(offsetof(struct snd_seq_event, flags) == ALSA_SEQ_EVENT_OFFSET_FLAGS, "event flags");
_Static_assert(offsetof(struct snd_seq_event, tag) == ALSA_SEQ_EVENT_OFFSET_TAG, "event tag");
_Static_assert(offsetof(struct snd_seq_event, queue) == ALSA_SEQ_EVENT_OFFSET_QUEUE, "event queue");
_Static_assert(offsetof(struct snd_seq_event, time) == ALSA_SEQ_EVENT_OFFSET_TIME, "event time");
_Static_assert(offsetof(struct snd_seq_event, source) == ALSA_SEQ_EVENT_OFFSET_SOURCE, "event source");
_Static_assert(offsetof(struct snd_seq_event, dest) == ALSA_SEQ_EVENT_OFFSET_DEST, "event destination");
_Static_assert(offsetof(struct snd_seq_event, data) == ALSA_SEQ_EVENT_OFFSET_DATA, "event data");
_Static_assert(offsetof(struct snd_seq_ev_ext, ptr) == 4, "variable data pointer at 4 (packed)");
_Static_assert(offsetof(struct snd_seq_ev_note, velocity) == 2 && offsetof(struct snd_seq_ev_ctrl, param) == 4
               && offsetof(struct snd_seq_ev_ctrl, value) == 8, "note and control data");
_Static_assert(offsetof(struct snd_seq_ev_queue_control, param) == 4, "queue control value at 4");
_Static_assert(offsetof(struct snd_seq_connect, dest) == 2, "connection destination at 2");
/* The ioctl records, member by member where they differ in kind. */
#define SAME_RECORD(mirror, kernel) _Static_assert(sizeof(struct mirror) == sizeof(struct kernel), #kernel " size")
SAME_RECORD(alsa_seq_addr, snd_seq_addr);
SAME_RECORD(alsa_seq_system_info, snd_seq_system_info);
SAME_RECORD(alsa_seq_client_info, snd_seq_client_info);
SAME_RECORD(alsa_seq_client_pool, snd_seq_client_pool);
SAME_RECORD(alsa_seq_port_info, snd_seq_port_info);
SAME_RECORD(alsa_seq_port_subscribe, snd_seq_port_subscribe);
SAME_RECORD(alsa_seq_query_subs, snd_seq_query_subs);
SAME_RECORD(alsa_seq_queue_info, snd_seq_queue_info);
SAME_RECORD(alsa_seq_queue_status, snd_seq_queue_status);
SAME_RECORD(alsa_seq_queue_tempo, snd_seq_queue_tempo);
#define SAME_FIELD(mirror, kernel, field) \
    _Static_assert(offsetof(struct mirror, field) == offsetof(struct kernel, field), #kernel "." #field)
SAME_FIELD(alsa_seq_client_info, snd_seq_client_info, name);
SAME_FIELD(alsa_seq_client_info, snd_seq_client_info, filter);
SAME_FIELD(alsa_seq_client_info, snd_seq_client_info, event_filter);
SAME_FIELD(alsa_seq_client_info, snd_seq_client_info, num_ports);
SAME_FIELD(alsa_seq_client_info, snd_seq_client_info, card);
SAME_FIELD(alsa_seq_client_info, snd_seq_client_info, pid);
SAME_FIELD(alsa_seq_client_pool, snd_seq_client_pool, input_pool);
SAME_FIELD(alsa_seq_port_info, snd_seq_port_info, name);
SAME_FIELD(alsa_seq_port_info, snd_seq_port_info, capability);
SAME_FIELD(alsa_seq_port_info, snd_seq_port_info, read_use);
SAME_FIELD(alsa_seq_port_info, snd_seq_port_info, kernel);
SAME_FIELD(alsa_seq_port_info, snd_seq_port_info, flags);
SAME_FIELD(alsa_seq_port_info, snd_seq_port_info, time_queue);
SAME_FIELD(alsa_seq_port_subscribe, snd_seq_port_subscribe, dest);
SAME_FIELD(alsa_seq_port_subscribe, snd_seq_port_subscribe, flags);
SAME_FIELD(alsa_seq_port_subscribe, snd_seq_port_subscribe, queue);
SAME_FIELD(alsa_seq_query_subs, snd_seq_query_subs, type);
SAME_FIELD(alsa_seq_query_subs, snd_seq_query_subs, num_subs);
SAME_FIELD(alsa_seq_query_subs, snd_seq_query_subs, addr);
SAME_FIELD(alsa_seq_query_subs, snd_seq_query_subs, queue);
SAME_FIELD(alsa_seq_query_subs, snd_seq_query_subs, flags);
SAME_FIELD(alsa_seq_queue_info, snd_seq_queue_info, name);
SAME_FIELD(alsa_seq_queue_info, snd_seq_queue_info, flags);
SAME_FIELD(alsa_seq_queue_status, snd_seq_queue_status, tick);
SAME_FIELD(alsa_seq_queue_status, snd_seq_queue_status, time);
SAME_FIELD(alsa_seq_queue_status, snd_seq_queue_status, running);
SAME_FIELD(alsa_seq_queue_tempo, snd_seq_queue_tempo, tempo);
SAME_FIELD(alsa_seq_queue_tempo, snd_seq_queue_tempo, ppq);
#define SAME_IOCTL(name) _Static_assert(ALSA_SEQ_IOCTL_##name##_NUMBER == SNDRV_SEQ_IOCTL_##name, #name)
SAME_IOCTL(PVERSION); SAME_IOCTL(CLIENT_ID); SAME_IOCTL(SYSTEM_INFO); SAME_IOCTL(GET_CLIENT_INFO);
SAME_IOCTL(SET_CLIENT_INFO); SAME_IOCTL(CREATE_PORT); SAME_IOCTL(DELETE_PORT); SAME_IOCTL(GET_PORT_INFO);
SAME_IOCTL(SUBSCRIBE_PORT); SAME_IOCTL(UNSUBSCRIBE_PORT); SAME_IOCTL(CREATE_QUEUE); SAME_IOCTL(DELETE_QUEUE);
SAME_IOCTL(GET_QUEUE_STATUS); SAME_IOCTL(GET_QUEUE_TEMPO); SAME_IOCTL(SET_QUEUE_TEMPO); SAME_IOCTL(GET_CLIENT_POOL);
SAME_IOCTL(SET_CLIENT_POOL); SAME_IOCTL(QUERY_SUBS); SAME_IOCTL(GET_SUBSCRIPTION); SAME_IOCTL(QUERY_NEXT_CLIENT);
SAME_IOCTL(QUERY_NEXT_PORT);
#define SAME_VALUE(name) _Static_assert(ALSA_SEQ_##name == SNDRV_SEQ_##name, #name)
SAME_VALUE(EVENT_SYSTEM); SAME_VALUE(EVENT_RESULT); SAME_VALUE(EVENT_NOTE); SAME_VALUE(EVENT_NOTEON);
SAME_VALUE(EVENT_NOTEOFF); SAME_VALUE(EVENT_KEYPRESS); SAME_VALUE(EVENT_CONTROLLER); SAME_VALUE(EVENT_PGMCHANGE);
SAME_VALUE(EVENT_CHANPRESS); SAME_VALUE(EVENT_PITCHBEND); SAME_VALUE(EVENT_CONTROL14); SAME_VALUE(EVENT_NONREGPARAM);
SAME_VALUE(EVENT_REGPARAM); SAME_VALUE(EVENT_SONGPOS); SAME_VALUE(EVENT_SONGSEL); SAME_VALUE(EVENT_QFRAME);
SAME_VALUE(EVENT_START); SAME_VALUE(EVENT_CONTINUE); SAME_VALUE(EVENT_STOP); SAME_VALUE(EVENT_SETPOS_TICK);
SAME_VALUE(EVENT_SETPOS_TIME); SAME_VALUE(EVENT_TEMPO); SAME_VALUE(EVENT_CLOCK); SAME_VALUE(EVENT_TICK);
SAME_VALUE(EVENT_TUNE_REQUEST); SAME_VALUE(EVENT_RESET); SAME_VALUE(EVENT_SENSING); SAME_VALUE(EVENT_ECHO);
SAME_VALUE(EVENT_CLIENT_START); SAME_VALUE(EVENT_CLIENT_EXIT); SAME_VALUE(EVENT_CLIENT_CHANGE);
SAME_VALUE(EVENT_PORT_START); SAME_VALUE(EVENT_PORT_EXIT); SAME_VALUE(EVENT_PORT_CHANGE);
SAME_VALUE(EVENT_PORT_SUBSCRIBED); SAME_VALUE(EVENT_PORT_UNSUBSCRIBED); SAME_VALUE(EVENT_SYSEX); SAME_VALUE(EVENT_NONE);
SAME_VALUE(TIME_STAMP_REAL); SAME_VALUE(TIME_MODE_REL); SAME_VALUE(EVENT_LENGTH_VARIABLE); SAME_VALUE(EVENT_LENGTH_MASK);
SAME_VALUE(ADDRESS_UNKNOWN); SAME_VALUE(ADDRESS_SUBSCRIBERS); SAME_VALUE(ADDRESS_BROADCAST); SAME_VALUE(QUEUE_DIRECT);
SAME_VALUE(CLIENT_SYSTEM); SAME_VALUE(CLIENT_DUMMY); SAME_VALUE(PORT_SYSTEM_TIMER); SAME_VALUE(PORT_SYSTEM_ANNOUNCE);
SAME_VALUE(PORT_CAP_READ); SAME_VALUE(PORT_CAP_WRITE); SAME_VALUE(PORT_CAP_SYNC_READ); SAME_VALUE(PORT_CAP_SYNC_WRITE);
SAME_VALUE(PORT_CAP_DUPLEX); SAME_VALUE(PORT_CAP_SUBS_READ); SAME_VALUE(PORT_CAP_SUBS_WRITE); SAME_VALUE(PORT_CAP_NO_EXPORT);
SAME_VALUE(PORT_TYPE_SPECIFIC); SAME_VALUE(PORT_TYPE_MIDI_GENERIC); SAME_VALUE(PORT_TYPE_MIDI_GM); SAME_VALUE(PORT_TYPE_SYNTH);
SAME_VALUE(PORT_TYPE_HARDWARE); SAME_VALUE(PORT_TYPE_SOFTWARE); SAME_VALUE(PORT_TYPE_SYNTHESIZER);
SAME_VALUE(PORT_TYPE_PORT); SAME_VALUE(PORT_TYPE_APPLICATION); SAME_VALUE(PORT_FLG_GIVEN_PORT);
SAME_VALUE(PORT_FLG_TIMESTAMP); SAME_VALUE(PORT_FLG_TIME_REAL); SAME_VALUE(PORT_SUBS_EXCLUSIVE);
SAME_VALUE(PORT_SUBS_TIMESTAMP); SAME_VALUE(PORT_SUBS_TIME_REAL); SAME_VALUE(QUERY_SUBS_READ); SAME_VALUE(QUERY_SUBS_WRITE);
_Static_assert(ALSA_SEQ_USER_CLIENT == (int)USER_CLIENT && ALSA_SEQ_KERNEL_CLIENT == (int)KERNEL_CLIENT, "client types");
/* The protocol this mirror speaks (1.0.2, Linux 6.1): later versions add UMP, which it leaves out. */
_Static_assert(SNDRV_SEQ_VERSION >= ALSA_SEQ_VERSION_1_0_2, "sequencer protocol 1.0.2 or later");
_Static_assert(sizeof(struct snd_rawmidi_info) == 268, "raw MIDI info is 268 bytes");

/* Reports the protocol version the package was compiled against (for diagnostics). */
unsigned int alsa_swift_compiled_pcm_version(void) { return SNDRV_PCM_VERSION; }
