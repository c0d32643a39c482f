/*
 * The alsa-lib side of Benchmarks/Sources/midi-latency: write-to-read latency of one MIDI
 * message, the calls amidi -S makes to write (snd_rawmidi_write to a raw MIDI device) and the
 * calls aseqdump and amidi -d make to read (poll, then snd_seq_event_input or snd_rawmidi_read),
 * one message in flight at a time, CLOCK_MONOTONIC just before the write and just after the read.
 * Prints the same key=value line as the Swift side.
 *
 *   midi_latency virmidi|virmidi-sequencer|sequencer [CARD] [COUNT]
 */
#include <alsa/asoundlib.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int count = 100;
static double *arrived;
static sem_t received;
static snd_rawmidi_t *raw_in;
static snd_seq_t *seq_in;

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void fail(const char *what, int err) {
    fprintf(stderr, "midi_latency: %s: %s\n", what, snd_strerror(err));
    exit(1);
}

/* Waits in poll(2) for the reading handle, as aseqdump and amidi -d do. */
static void wait_readable(struct pollfd *fds, int n) {
    while (poll(fds, n, -1) < 0) {}
}

static void *raw_reader(void *unused) {
    (void)unused;
    int n = snd_rawmidi_poll_descriptors_count(raw_in);
    struct pollfd fds[8];
    snd_rawmidi_poll_descriptors(raw_in, fds, n);
    unsigned char bytes[256];
    int seen = 0, data = 0;
    while (seen < count) {
        wait_readable(fds, n);
        ssize_t got = snd_rawmidi_read(raw_in, bytes, sizeof bytes);
        if (got == -EAGAIN) continue;
        if (got < 0) fail("snd_rawmidi_read", (int)got);
        double t = now_us();
        /* A note on is complete at its second data byte; virmidi sends the next ones in running
           status (two bytes, no status byte). */
        for (ssize_t i = 0; i < got && seen < count; i++) {
            if (bytes[i] & 0x80) { data = 0; continue; }
            if (++data == 2) {
                data = 0;
                arrived[seen++] = t;
                sem_post(&received);
            }
        }
    }
    return NULL;
}

static void *seq_reader(void *unused) {
    (void)unused;
    int n = snd_seq_poll_descriptors_count(seq_in, POLLIN);
    struct pollfd fds[8];
    snd_seq_poll_descriptors(seq_in, fds, n, POLLIN);
    int seen = 0;
    while (seen < count) {
        wait_readable(fds, n);
        snd_seq_event_t *event;
        int err;
        while ((err = snd_seq_event_input(seq_in, &event)) >= 0 && seen < count) {
            if (event->type != SND_SEQ_EVENT_NOTEON) continue;
            arrived[seen++] = now_us();
            sem_post(&received);
        }
        if (err < 0 && err != -EAGAIN && err != -ENOSPC) fail("snd_seq_event_input", err);
    }
    return NULL;
}

/* The virmidi device's sequencer port: the kernel client whose name ends in " CARD-DEVICE". */
static int virmidi_client(snd_seq_t *seq, int card, int device) {
    char suffix[32];
    snprintf(suffix, sizeof suffix, " %d-%d", card, device);
    snd_seq_client_info_t *info;
    snd_seq_client_info_alloca(&info);
    snd_seq_client_info_set_client(info, -1);
    while (snd_seq_query_next_client(seq, info) >= 0) {
        const char *name = snd_seq_client_info_get_name(info);
        size_t a = strlen(name), b = strlen(suffix);
        if (snd_seq_client_info_get_type(info) == SND_SEQ_KERNEL_CLIENT && a >= b && strcmp(name + a - b, suffix) == 0)
            return snd_seq_client_info_get_client(info);
    }
    fprintf(stderr, "midi_latency: no sequencer client ending in \"%s\"\n", suffix);
    exit(1);
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: midi_latency virmidi|virmidi-sequencer|sequencer [CARD] [COUNT]\n");
        return 2;
    }
    const char *path = argv[1];
    int card = argc > 2 ? atoi(argv[2]) : 4;
    if (argc > 3) count = atoi(argv[3]);
    if (card < 0 || card > 31 || count < 1 || count > 100000) {
        fprintf(stderr, "midi_latency: CARD is 0 to 31, COUNT 1 to 100000\n");
        return 2;
    }
    arrived = calloc(count, sizeof *arrived);
    double *latency = calloc(count, sizeof *latency);
    sem_init(&received, 0, 0);
    char name[32];
    int err;
    snd_rawmidi_t *raw_out = NULL;
    snd_seq_t *seq_out = NULL;
    int out_port = 0;
    void *(*reader)(void *) = seq_reader;

    if (strcmp(path, "virmidi") == 0 || strcmp(path, "virmidi-sequencer") == 0) {
        snprintf(name, sizeof name, "hw:%d,0", card);
        if ((err = snd_rawmidi_open(NULL, &raw_out, name, 0)) < 0) fail(name, err);
        if (strcmp(path, "virmidi") == 0) {
            snprintf(name, sizeof name, "hw:%d,1", card);
            if ((err = snd_rawmidi_open(&raw_in, NULL, name, SND_RAWMIDI_NONBLOCK)) < 0) fail(name, err);
            unsigned char none;
            snd_rawmidi_read(raw_in, &none, 1); /* starts the input, as amidi -d's first read does (EAGAIN) */
            reader = raw_reader;
        } else {
            if ((err = snd_seq_open(&seq_in, "default", SND_SEQ_OPEN_INPUT, SND_SEQ_NONBLOCK)) < 0) fail("snd_seq_open", err);
            int port = snd_seq_create_simple_port(seq_in, "in", SND_SEQ_PORT_CAP_WRITE | SND_SEQ_PORT_CAP_SUBS_WRITE,
                                                  SND_SEQ_PORT_TYPE_MIDI_GENERIC | SND_SEQ_PORT_TYPE_APPLICATION);
            if (port < 0) fail("snd_seq_create_simple_port", port);
            if ((err = snd_seq_connect_from(seq_in, port, virmidi_client(seq_in, card, 0), 0)) < 0) fail("snd_seq_connect_from", err);
        }
    } else if (strcmp(path, "sequencer") == 0) {
        if ((err = snd_seq_open(&seq_out, "default", SND_SEQ_OPEN_OUTPUT, 0)) < 0) fail("snd_seq_open", err);
        out_port = snd_seq_create_simple_port(seq_out, "out", SND_SEQ_PORT_CAP_READ | SND_SEQ_PORT_CAP_SUBS_READ,
                                              SND_SEQ_PORT_TYPE_MIDI_GENERIC | SND_SEQ_PORT_TYPE_APPLICATION);
        if (out_port < 0) fail("snd_seq_create_simple_port", out_port);
        if ((err = snd_seq_open(&seq_in, "default", SND_SEQ_OPEN_INPUT, SND_SEQ_NONBLOCK)) < 0) fail("snd_seq_open", err);
        int port = snd_seq_create_simple_port(seq_in, "in", SND_SEQ_PORT_CAP_WRITE | SND_SEQ_PORT_CAP_SUBS_WRITE,
                                              SND_SEQ_PORT_TYPE_MIDI_GENERIC | SND_SEQ_PORT_TYPE_APPLICATION);
        if (port < 0) fail("snd_seq_create_simple_port", port);
        if ((err = snd_seq_connect_from(seq_in, port, snd_seq_client_id(seq_out), out_port)) < 0) fail("snd_seq_connect_from", err);
    } else {
        fprintf(stderr, "midi_latency: unknown path '%s'\n", path);
        return 2;
    }

    pthread_t thread;
    pthread_create(&thread, NULL, reader, NULL);
    for (int i = 0; i < count; i++) {
        unsigned char note[3] = { 0x90, (unsigned char)(i % 128), 100 };
        double sent = now_us();
        if (raw_out) {
            if ((err = (int)snd_rawmidi_write(raw_out, note, 3)) < 0) fail("snd_rawmidi_write", err);
        } else {
            snd_seq_event_t event;
            snd_seq_ev_clear(&event);
            snd_seq_ev_set_source(&event, out_port);
            snd_seq_ev_set_subs(&event);
            snd_seq_ev_set_direct(&event);
            snd_seq_ev_set_noteon(&event, 0, note[1], note[2]);
            if ((err = snd_seq_event_output_direct(seq_out, &event)) < 0) fail("snd_seq_event_output_direct", err);
        }
        struct timespec limit;
        clock_gettime(CLOCK_REALTIME, &limit);
        limit.tv_sec += 10;
        if (sem_timedwait(&received, &limit) != 0) {
            fprintf(stderr, "midi_latency: message %d did not arrive within 10 s\n", i);
            return 1;
        }
        latency[i] = arrived[i] - sent;
    }
    pthread_join(thread, NULL);
    qsort(latency, count, sizeof *latency, compare);
    printf("midi side=alsa-lib path=%s messages=%d median_us=%.1f min_us=%.1f max_us=%.1f\n",
           path, count, latency[count / 2], latency[0], latency[count - 1]);
    return 0;
}
