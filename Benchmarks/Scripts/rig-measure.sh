#!/usr/bin/env bash
# Runs inside the QEMU rig (Scripts/kernel-test), on snd-dummy hw:0,0: every per-period figure of
# BENCHMARKS.md for AlsaSwift (alsa-loop) and alsa-lib (alsa-loop-c), measured the same way for
# both. Writes key=value lines to $1/results.txt.
#   rig-measure.sh OUTDIR SWIFT_BIN C_BIN MALLOC_LIB HEADROOM_SECONDS
set -uo pipefail
out=$1 swift=$2 cbin=$3 malloccount=$4 headroom=${5:-30}
[ "$out" = - ] && out="$TMPDIR/bench"   # the rig's writable results share
mkdir -p "$out"
results="$out/results.txt"
: > "$results"
dev=hw:0,0
short=200 long=1200   # per-period figures are differences between a short and a long run

# The command line of one side for a mode, in CMD: side access direction periods [sync]
command_for() {
    local program=$cbin
    [ "$1" = alsaswift ] && program=$swift
    CMD=("$program" "$dev" "$2" "$3" "$4")
    [ -n "${5:-}" ] && CMD+=(--sync-ptr)
    return 0
}

# 1. Kernel calls per period, counted by strace on both sides.
count_calls() {  # trace-file -> "ioctl_total sync_ptr hwsync writei readi poll"
    local f=$1
    printf '%s %s %s %s %s %s\n' \
        "$(grep -c 'ioctl(' "$f")" "$(grep -c 'SNDRV_PCM_IOCTL_SYNC_PTR' "$f")" "$(grep -c 'SNDRV_PCM_IOCTL_HWSYNC' "$f")" \
        "$(grep -c 'SNDRV_PCM_IOCTL_WRITEI_FRAMES' "$f")" "$(grep -c 'SNDRV_PCM_IOCTL_READI_FRAMES' "$f")" \
        "$(grep -c -E '^[0-9]+ +(poll|ppoll)\(' "$f")"
}
for side in alsaswift alsa-lib; do
    for mode in "mmap playback " "mmap playback sync" "rw playback " "rw playback sync" "mmap capture " "mmap capture sync" "rw capture " "rw capture sync"; do
        read -r access direction sync <<< "$mode"
        for n in $short $long; do
            command_for $side "$access" "$direction" $n "${sync:-}"
            strace -f -qq -e trace=ioctl,poll,ppoll -o "$out/trace-$n" "${CMD[@]}" > "$out/run-$n" 2>&1
        done
        read -r i1 s1 h1 w1 r1 p1 <<< "$(count_calls "$out/trace-$short")"
        read -r i2 s2 h2 w2 r2 p2 <<< "$(count_calls "$out/trace-$long")"
        span=$((long - short))
        per() { awk -v a="$1" -v b="$2" -v n="$span" 'BEGIN { printf "%.2f", (b - a) / n }'; }
        xr=$(grep -o 'xruns=[0-9]*' "$out/run-$long" | head -1)
        echo "calls side=$side access=$access direction=$direction sync=${sync:-mapped} ioctl=$(per "$i1" "$i2") sync_ptr=$(per "$s1" "$s2") hwsync=$(per "$h1" "$h2") writei=$(per "$w1" "$w2") readi=$(per "$r1" "$r2") poll=$(per "$p1" "$p2") $xr" >> "$results"
    done
done

# 2. Heap allocations in the steady state (1000 periods after 8 of warm-up).
for mode in "mmap playback " "mmap playback sync" "rw playback " "mmap capture " "rw capture "; do
    read -r access direction sync <<< "$mode"
    for side in alsaswift alsa-lib; do
        command_for $side "$access" "$direction" 1000 "${sync:-}"
        line=$(LD_PRELOAD="$malloccount" "${CMD[@]}" 2>&1 | grep -o -E '(steady_allocations|xruns)=[^ ]*' | tr '\n' ' ')
        echo "allocations side=$side backend=direct access=$access direction=$direction sync=${sync:-mapped} $line" >> "$results"
    done
done
for backend in alsa-lib async render; do
    line=$(LD_PRELOAD="$malloccount" "$swift" "$dev" mmap playback 1000 --backend "$backend" 2>&1 | grep -o -E '(steady_allocations|xruns)=[^ ]*' | tr '\n' ' ')
    echo "allocations side=alsaswift backend=$backend access=mmap direction=playback sync=mapped $line" >> "$results"
done

# 3. User-space instructions per period (callgrind), the same difference method. Valgrind 3.19
#    cannot read the DWARF Swift 6 writes, so it runs a copy of the Swift loop without debug info.
strip --strip-debug -o "$out/alsa-loop-stripped" "$swift"
instructions() {  # side access direction periods sync
    local file="$out/callgrind.$1.$2.$3.$4.${5:-m}"
    command_for "$@"
    [ "$1" = alsaswift ] && CMD[0]="$out/alsa-loop-stripped"
    valgrind --tool=callgrind --vgdb=no --callgrind-out-file="$file" -q "${CMD[@]}" --period 1024 > "$out/cg-run" 2>&1
    awk '/^summary:/ { print $2 } /^totals:/ { t = $2 } END { if (t) print t }' "$file" | head -1
}
for mode in "mmap playback " "mmap playback sync" "rw playback "; do
    read -r access direction sync <<< "$mode"
    for side in alsaswift alsa-lib; do
        a=$(instructions $side "$access" "$direction" 50 "${sync:-}")
        b=$(instructions $side "$access" "$direction" 250 "${sync:-}")
        xr=$(grep -o 'xruns=[0-9]*' "$out/cg-run" | head -1)
        echo "instructions side=$side access=$access direction=$direction sync=${sync:-mapped} period=1024 per_period=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.0f", (b - a) / 200 }') $xr" >> "$results"
    done
done

# 4. Latency headroom: the smallest period (4 per buffer) with $headroom s of read/write playback
#    and no xrun, for alsa-loop and for aplay with the same settings.
for size in 32 64 128 256 512 1024; do
    if ! grep -q '^headroom side=alsaswift' "$results"; then
        x=$("$swift" "$dev" rw playback 0 --seconds "$headroom" --period "$size" --stop-on-xrun 2>&1 | grep -o 'xruns=[0-9]*' | cut -d= -f2)
        [ "${x:-1}" = 0 ] && echo "headroom side=alsaswift period=$size seconds=$headroom" >> "$results"
    fi
    if ! grep -q '^headroom side=aplay' "$results"; then
        aplay -q -D "$dev" -t raw -f S16_LE -c 2 -r 48000 --period-size="$size" --buffer-size=$((size * 4)) -d "$headroom" /dev/zero \
            > "$out/aplay.log" 2>&1 &
        pid=$!
        while kill -0 $pid 2>/dev/null; do
            if grep -q -i underrun "$out/aplay.log"; then kill $pid; break; fi
            sleep 0.5
        done
        wait $pid 2>/dev/null
        grep -q -i underrun "$out/aplay.log" || echo "headroom side=aplay period=$size seconds=$headroom" >> "$results"
    fi
done
cat "$results"
