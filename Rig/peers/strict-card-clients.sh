#!/bin/sh
# mmap clients on the strict explicit-sync test card, side by side: alsa-utils' aplay -M and
# arecord -M (alsa-lib's own use of its API), and AlsaSwift's alsa-play and alsa-record on both of
# its transports; and aplay in read/write mode as the plain peer. For each: did what it played reach
# the device unstale, with no frame changed after its commit (late), is what it recorded the card's
# signal, and how many SYNC_PTR calls it made per period. Each client runs twice: as it is,
# for the verdict and the card's counters, and under strace, for the calls (strace slows a client in
# the emulated guest; the xruns of both runs are shown). Last, the raw tinyalsa-style clients of
# ExplicitSyncDriverTests (SYNC_PTR around every mmap transfer, 2, 3 and 4 periods queued): the ones
# that write after commit and their compliant twins, with the card's counters. Runs in the rig's guest:
#   swift build --build-tests && Scripts/kernel-test -- sh Rig/peers/strict-card-clients.sh
# Prints one line per client; exits 0 whatever the verdicts (they are findings, not tests).
set -eu
card=$(awk '/ExplicitSync/ { print $1; exit }' /proc/asound/cards)
counters=/proc/asound/card$card/explicit_sync
bin=${ALSASWIFT_TOOLS:-$(pwd)/.build/debug}    # where alsa-play, alsa-record and the tests were built
dir=${TMPDIR:-/tmp}/strict-card-clients
rm -rf "$dir" && mkdir -p "$dir"
period=4096                                 # long enough that strace causes no xrun in the guest
periods=24                                  # whole periods, so aplay pads nothing
frames=$((period * periods))
python3 - "$dir" "$frames" <<'PY'
import random, sys, wave
random.seed(7)
noise = bytes(random.getrandbits(8) for _ in range(int(sys.argv[2]) * 4))
open(sys.argv[1] + "/noise.raw", "wb").write(noise)
with wave.open(sys.argv[1] + "/noise.wav", "wb") as w:
    w.setnchannels(2); w.setsampwidth(2); w.setframerate(48000); w.writeframes(noise)
PY
traced() {
    name=$1; shift
    "$@" >/dev/null 2>&1 || echo "exited $?" > "$dir/$name.error"
    cp "$counters" "$dir/$name.counters"
    set -- $(echo "$@" | sed "s|$dir/$name|$dir/$name.traced|g")
    strace -f -qq -e trace=ioctl -o "$dir/$name.strace" "$@" >/dev/null 2>&1 || true
    cp "$counters" "$dir/$name.strace-counters"
}
alsa="-D hw:$card,0 -t raw -f S16_LE -c 2 -r 48000 --period-size=$period --buffer-size=$((period * 4))"
traced aplay-M aplay -q -M $alsa "$dir/noise.raw"
traced aplay aplay -q $alsa "$dir/noise.raw"
traced arecord-M arecord -q -M $alsa -s "$frames" "$dir/arecord-M.raw"
for transport in direct alsa-lib; do
    ours="-D hw:$card,0 --transport $transport --mmap --period $period --buffer $((period * 4))"
    traced "alsa-play-$transport" "$bin/alsa-play" $ours "$dir/noise.wav"
    traced "alsa-record-$transport" "$bin/alsa-record" -q $ours -f s16 -r 48000 -c 2 -d 2.048 "$dir/alsa-record-$transport.wav"
done
python3 - "$dir" "$frames" "$period" <<'PY'
import os, sys, wave
d, frames, period = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def counters(name, suffix="counters"):
    return {k: (int(v, 16) if v.startswith("0x") else int(v)) for k, v in (l.split() for l in open(f"{d}/{name}.{suffix}"))}
def fnv(data):
    h = 0xcbf29ce484222325
    for b in data: h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h
def per_period(name, direction):
    calls = open(f"{d}/{name}.strace").read().count("SYNC_PTR")
    xruns = counters(name, "strace-counters")[f"{direction}_xruns"]
    return f"{calls} SYNC_PTR = {calls / (frames / period):.2f} per period (traced run: {xruns} xruns)"
def failed(name):
    return open(f"{d}/{name}.error").read().strip() if os.path.exists(f"{d}/{name}.error") else None
noise = open(f"{d}/noise.raw", "rb").read()
signal = bytes(((f * 31 + b * 7) ^ (f >> 8)) & 0xff for f in range(frames) for b in range(4))
for name in ["aplay-M", "aplay", "alsa-play-direct", "alsa-play-alsa-lib"]:
    c = counters(name)
    # A player may pad its last period with silence (aplay does): the file, then zeros, is right too.
    padding = max(c["playback_frames"] - frames, 0)
    same = c["playback_checksum"] == fnv(noise + bytes(padding * 4))
    ok = (not failed(name) and c["playback_frames"] >= frames and same and c["playback_stale_frames"] == 0
          and c["playback_late_frames"] == 0)
    padded = f" + {padding} frames of silence" if padding else ""
    print(f"{name:21} {'PASS' if ok else 'FAIL'}: {c['playback_frames']} frames played, checksum {'=' if same else '!='} file{padded}, "
          f"{c['playback_stale_frames']} stale, {c['playback_late_frames']} late, {c['playback_xruns']} xruns, CPU syncs {c['playback_cpu_syncs']}, "
          f"device syncs {c['playback_device_syncs']}; {per_period(name, 'playback')}" + (f" ({failed(name)})" if failed(name) else ""))
for name in ["arecord-M", "alsa-record-direct", "alsa-record-alsa-lib"]:
    c = counters(name)
    if name.startswith("arecord"):
        got = open(f"{d}/{name}.raw", "rb").read()
    else:
        with wave.open(f"{d}/{name}.wav", "rb") as w: got = w.readframes(w.getnframes())
    n = min(len(got), len(signal)) // 4
    wrong = sum(1 for f in range(n) if got[f*4:f*4+4] != signal[f*4:f*4+4]) + abs(len(got) - len(signal)) // 4
    ok = not failed(name) and wrong == 0 and c["capture_poisoned_frames"] == 0 and c["capture_xruns"] == 0
    print(f"{name:21} {'PASS' if ok else 'FAIL'}: {len(got) // 4} frames recorded, {wrong} differ from the card's signal, "
          f"{c['capture_poisoned_frames']} poisoned, late n/a (a playback count), {c['capture_xruns']} xruns, CPU syncs {c['capture_cpu_syncs']}, "
          f"device syncs {c['capture_device_syncs']}; {per_period(name, 'capture')}" + (f" ({failed(name)})" if failed(name) else ""))
PY
echo "raw tinyalsa-style clients (ExplicitSyncDriverTests):"
"$bin/AlsaSwiftPackageTests.xctest" --testing-library swift-testing --no-parallel \
    --filter 'ExplicitSyncDriverTests/(negativeControlCommitBeforeWriting|negativeControlWritingACommittedPeriodAgain|compliantTwin)' \
    2>&1 | sed -e 's/\x1b\[[0-9;]*m//g' | sed -n -e 's/^\[strict device\] /  /p' -e 's/^\(\(✔\|✘\) Test .*\(passed\|failed\|issue\).*\)/  \1/p' || true
