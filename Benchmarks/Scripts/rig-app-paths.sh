#!/usr/bin/env bash
# Runs inside the QEMU rig (Scripts/kernel-test): every app-facing path of AlsaSwift (app-paths:
# PlaybackStream.write and writeBlocking, CaptureStream.read and readBlocking, RenderThread playback
# and capture; read/write and mmap; the direct and the alsa-lib transport) on one card, beside
# aplay/arecord with the same period and buffer, in the same boot. Appends key=value lines to
# OUTDIR/results.txt; Benchmarks/Scripts/table.py judges them.
#   rig-app-paths.sh OUTDIR APP_PATHS_BIN CARD_LABEL CARD_INDEX WINDOW_SECONDS PERIOD
#
# - CPU time: user + system of the process, all its threads, over a window of WINDOW_SECONDS of
#   its steady state (cpu-window.py: /proc/PID/stat read 5 s after the device started running and
#   WINDOW_SECONDS later), in a run of WINDOW_SECONDS + 10 s of audio; per second of audio it is
#   that CPU over the window's length. Start-up, warm-up, drain and teardown are left out for every
#   client alike (a long run less a short one could not do it here: see BENCHMARKS.md). A run that
#   met an xrun gets a second try (recovery costs CPU of its own); every try's xruns are reported.
#   In each group (direction, access) the peer runs first, then AlsaSwift's paths.
# - Per-period counts: AlsaSwift's direct transport counts itself through its counting kernel
#   (app-paths, in the same run); the alsa-lib transport, which makes its own system calls, is
#   counted by strace between the window's markers in a run of its own; aplay/arecord by strace,
#   a short traced run less a long one. Traced runs use 4096-frame periods (a 341 ms buffer):
#   strace slows the emulated guest enough to underrun 1024-frame periods, and the calls per
#   period do not depend on the period's size.
set -uo pipefail
out=$1 app=$2 card=$3 index=$4 window=$5 period=$6
[ "$out" = - ] && out="$TMPDIR/bench"   # the rig's writable results share
mkdir -p "$out"
results="$out/results.txt"
dev="hw:$index,0"
buffer=$((period * 4))
rate=48000
seconds=$((window + 10))

echo "machine where=rig card=$card kernel=$(uname -r) cpus=$(nproc)" >> "$results"

here=$(cd "$(dirname "$0")" && pwd)
# The CPU time of one command over the window: prints "user=U sys=S seconds=W" ("x" when it could
# not be taken); the command's output goes to $1.
cpu_of() {  # log direction command...
    local log=$1 letter=p; shift
    [ "$1" = capture ] && letter=c
    shift
    python3 "$here/cpu-window.py" "/proc/asound/card$index/pcm0$letter/sub*/status" "$log" 5 "$window" -- "$@"
}
peer_xruns() { grep -c -E 'underrun!!!|overrun!!!' "$1"; }
app_xruns() { grep -o 'xruns=[0-9]*' "$1" | head -1 | cut -d= -f2; }

peer_command() {  # tool access seconds [period] -> CMD
    local tool=$1 access=$2 seconds=$3 size=${4:-$period}
    CMD=("$tool" -D "$dev" -t raw -f S16_LE -c 2 -r "$rate" --period-size="$size" --buffer-size="$((size * 4))" -d "$seconds")
    [ "$access" = mmap ] && CMD+=(-M)
    CMD+=(/dev/zero)
    [ "$tool" = arecord ] && CMD[${#CMD[@]}-1]=/dev/null
    return 0
}

# strace's counts in a trace file (optionally between the window's markers): "ioctl writei readi
# sync_ptr hwsync poll".
count_calls() {  # trace-file windowed(yes|no)
    local f=$1.counted
    if [ "$2" = yes ]; then
        if ! grep -q 'alsa-loop:window-start' "$1" || ! grep -q 'alsa-loop:window-end' "$1"; then
            echo "x x x x x x"
            return
        fi
        awk '/alsa-loop:window-start/ { on = 1; next } /alsa-loop:window-end/ { on = 0 } on' "$1" > "$f"
    else
        cp "$1" "$f"
    fi
    printf '%s %s %s %s %s %s\n' "$(grep -c 'ioctl(' "$f")" "$(grep -c 'SNDRV_PCM_IOCTL_WRITEI_FRAMES' "$f")" \
        "$(grep -c 'SNDRV_PCM_IOCTL_READI_FRAMES' "$f")" "$(grep -c 'SNDRV_PCM_IOCTL_SYNC_PTR' "$f")" \
        "$(grep -c 'SNDRV_PCM_IOCTL_HWSYNC' "$f")" "$(grep -c -E '^[0-9]+ +(poll|ppoll)\(' "$f")"
}

for direction in playback capture; do
    tool=aplay paths="write write-blocking render-playback"
    [ "$direction" = capture ] && tool=arecord paths="read read-blocking render-capture"
    for access in rw mmap; do
        # The peer: CPU over the window, then its calls (a traced 4 s run less a traced 12 s run).
        seen=""
        for try in 1 2; do
            peer_command $tool $access "$seconds"
            cpu=$(cpu_of "$out/peer-run" $direction "${CMD[@]}")
            x=$(peer_xruns "$out/peer-run")
            seen="$seen${seen:+,}$x"
            [ "$x" = 0 ] && break
        done
        echo "peer card=$card tool=$tool direction=$direction access=$access period=$period buffer=$buffer $cpu xruns=$seen" >> "$results"
        for n in 4 12; do
            peer_command $tool $access $n 4096
            strace -f -qq -e trace=ioctl,poll,ppoll -o "$out/peer-trace-$n" "${CMD[@]}" > "$out/peer-traced-$n" 2>&1
        done
        read -r i1 w1 r1 s1 h1 p1 <<< "$(count_calls "$out/peer-trace-4" no)"
        read -r i2 w2 r2 s2 h2 p2 <<< "$(count_calls "$out/peer-trace-12" no)"
        echo "peercalls card=$card tool=$tool direction=$direction access=$access period=4096 seconds=4,12 ioctl=$i1,$i2 writei=$w1,$w2 readi=$r1,$r2 sync_ptr=$s1,$s2 hwsync=$h1,$h2 poll=$p1,$p2 xruns=$(peer_xruns "$out/peer-traced-4")+$(peer_xruns "$out/peer-traced-12")" >> "$results"

        for transport in direct alsa-lib; do
            for path in $paths; do
                base=(--access "$access" --transport "$transport")
                case $path in render-*) base+=(--realtime 50) ;; esac
                flags=("${base[@]}" --period "$period")
                seen=""
                for try in 1 2; do
                    cpu=$(cpu_of "$out/app-run" $direction "$app" "$dev" "$path" "${flags[@]}" --seconds "$seconds")
                    x=$(app_xruns "$out/app-run")
                    seen="$seen${seen:+,}${x:-?}"
                    [ "${x:-1}" = 0 ] && break
                done
                # The run's own counts (its window) with its CPU; a run that failed leaves its error
                # in the line instead of counts.
                if grep -q '^path=' "$out/app-run"; then
                    counts=$(grep '^path=' "$out/app-run" | head -1 | sed 's/xruns=[0-9]*//')
                else
                    counts="path=$path transport=$transport access=$access error=$(tail -1 "$out/app-run" | tr ' =' '_:')"
                fi
                echo "app card=$card direction=$direction $cpu $counts xruns=$seen" >> "$results"
                if [ "$transport" = alsa-lib ]; then
                    # alsa-lib makes its own calls: strace counts them in the window of a 12 s run.
                    strace -f -qq -e trace=ioctl,poll,ppoll,access,faccessat,faccessat2 -o "$out/app-trace" \
                        "$app" "$dev" "$path" "${base[@]}" --period 4096 --warmup 4 --seconds 12 > "$out/app-traced" 2>&1
                    read -r i w r s h p <<< "$(count_calls "$out/app-trace" yes)"
                    periods=$(grep -o 'window_periods=[0-9]*' "$out/app-traced" | cut -d= -f2)
                    echo "appcalls card=$card path=$path transport=$transport access=$access period=4096 window_periods=${periods:-x} ioctl=$i writei=$w readi=$r sync_ptr=$s hwsync=$h poll=$p xruns=$(app_xruns "$out/app-traced")" >> "$results"
                fi
            done
        done
    done
done
