#!/usr/bin/env bash
# Runs inside the QEMU rig (Scripts/kernel-test), on snd-dummy hw:0,0: every per-period figure of
# BENCHMARKS.md for AlsaSwift (period-bench) and alsa-lib (alsa-loop-c), measured the same way for
# both. Writes key=value lines to $1/results.txt; Benchmarks/Scripts/table.py judges them.
#   rig-measure.sh OUTDIR SWIFT_BIN C_BIN MALLOC_LIB HEADROOM_SECONDS
set -uo pipefail
out=$1 swift=$2 cbin=$3 malloccount=$4 headroom=${5:-20}
[ "$out" = - ] && out="$TMPDIR/bench"   # the rig's writable results share
mkdir -p "$out"
results="$out/results.txt"
: > "$results"
dev=hw:0,0

# The machine the figures come from, read from it rather than written by hand.
echo "machine where=rig kernel=$(uname -r) cpus=$(nproc)" >> "$results"

# The command line of one side for a mode, in CMD: side access direction periods [sync]
command_for() {
    local program=$cbin
    [ "$1" = alsaswift ] && program=$swift
    CMD=("$program" "$dev" "$2" "$3" "$4")
    [ -n "${5:-}" ] && CMD+=(--sync-ptr)
    return 0
}
xruns_of() { grep -o 'xruns=[0-9]*' "$1" | head -1 | cut -d= -f2; }

# 1. Kernel calls per period, counted by strace on both sides over the loop's window only (between
#    the two access("alsa-loop:window-...") markers both loops make after the warm-up and after the
#    last period, so opening, warm-up, drain and closing are left out), and then the difference
#    between a short and a long run's windows. Recovering an xrun costs calls of its own, so a figure only
#    counts from a pair of runs with no xrun in either: up to three tries per side and mode, and
#    the xruns of every run are reported. 4096-frame periods (a 341 ms buffer) keep strace's
#    slowdown of the emulated guest from causing xruns in the first place; the calls per period do
#    not depend on the period size.
short=20 long=120 period=4096
count_calls() {  # trace-file -> "ioctl_total sync_ptr hwsync writei readi poll" over the window; "x ..." without one
    local f="$1.window"
    if ! grep -q 'alsa-loop:window-start' "$1" || ! grep -q 'alsa-loop:window-end' "$1"; then
        echo "x x x x x x"
        return
    fi
    awk '/alsa-loop:window-start/ { on = 1; next } /alsa-loop:window-end/ { on = 0 } on' "$1" > "$f"
    printf '%s %s %s %s %s %s\n' \
        "$(grep -c 'ioctl(' "$f")" "$(grep -c 'SNDRV_PCM_IOCTL_SYNC_PTR' "$f")" "$(grep -c 'SNDRV_PCM_IOCTL_HWSYNC' "$f")" \
        "$(grep -c 'SNDRV_PCM_IOCTL_WRITEI_FRAMES' "$f")" "$(grep -c 'SNDRV_PCM_IOCTL_READI_FRAMES' "$f")" \
        "$(grep -c -E '^[0-9]+ +(poll|ppoll)\(' "$f")"
}
for side in alsaswift alsa-lib; do
    for mode in "mmap playback " "mmap playback sync" "rw playback " "rw playback sync" "mmap capture " "mmap capture sync" "rw capture " "rw capture sync"; do
        read -r access direction sync <<< "$mode"
        seen=""
        for try in 1 2 3; do
            for n in $short $long; do
                command_for $side "$access" "$direction" $n "${sync:-}"
                strace -f -qq -e trace=ioctl,poll,ppoll,access,faccessat,faccessat2 -o "$out/trace-$n" "${CMD[@]}" --period $period > "$out/run-$n" 2>&1
            done
            xs=$(xruns_of "$out/run-$short") xl=$(xruns_of "$out/run-$long")
            seen="$seen${seen:+,}${xs:-?}+${xl:-?}"
            [ "${xs:-1}" = 0 ] && [ "${xl:-1}" = 0 ] && break
        done
        read -r i1 s1 h1 w1 r1 p1 <<< "$(count_calls "$out/trace-$short")"
        read -r i2 s2 h2 w2 r2 p2 <<< "$(count_calls "$out/trace-$long")"
        clean=no
        [ "${xs:-1}" = 0 ] && [ "${xl:-1}" = 0 ] && clean=yes
        # Raw counts go to the table, which divides them itself and judges the exact quotient.
        echo "calls side=$side access=$access direction=$direction sync=${sync:-mapped} span=$((long - short)) ioctl=$i1,$i2 sync_ptr=$s1,$s2 hwsync=$h1,$h2 writei=$w1,$w2 readi=$r1,$r2 poll=$p1,$p2 xruns=$seen clean=$clean" >> "$results"
    done
done

# 2. Heap allocations in the steady state (1000 periods after 8 of warm-up), on every path: both
#    transports, both directions, mmap and read/write, mapped records and SYNC_PTR. Recovering an
#    xrun is not the steady state (alsa-lib's recovery allocates, for one), so, as for the calls,
#    up to three tries until one has no xrun; the line keeps the last try's count and every try's
#    xruns (comma-separated).
allocations_of() {  # command... -> "steady_allocations=N xruns=a,b,c"
    local tries="" line count
    for try in 1 2 3; do
        line=$(LD_PRELOAD="$malloccount" "$@" 2>&1)
        count=$(grep -o -E 'steady_allocations=[^ ]*' <<< "$line" | head -1)
        x=$(grep -o -E 'xruns=[0-9]*' <<< "$line" | head -1 | cut -d= -f2)
        tries="$tries${tries:+,}${x:-?}"
        [ "${x:-1}" = 0 ] && break
    done
    echo "${count:-steady_allocations=missing} xruns=$tries"
}
for mode in "mmap playback " "mmap playback sync" "rw playback " "rw playback sync" "mmap capture " "mmap capture sync" "rw capture " "rw capture sync"; do
    read -r access direction sync <<< "$mode"
    for side in alsaswift alsa-lib; do
        command_for $side "$access" "$direction" 1000 "${sync:-}"
        echo "allocations side=$side backend=direct access=$access direction=$direction sync=${sync:-mapped} $(allocations_of "${CMD[@]}")" >> "$results"
    done
done
# The streams' async transfers (on the stream's task executor) over both transports, both
# directions, mmap and read/write, and over the direct transport with SYNC_PTR forced too; the
# render thread; and, for comparison only, async on the global executor (libdispatch allocates
# there: see BENCHMARKS.md).
modes=("alsa-lib mmap playback mapped" "alsa-lib rw playback mapped" "alsa-lib mmap capture mapped" "alsa-lib rw capture mapped")
for direction in playback capture; do
    for access in mmap rw; do
        modes+=("async $access $direction mapped" "async $access $direction sync" "async-alsa-lib $access $direction mapped")
    done
done
modes+=("render mmap playback mapped" "async-global mmap playback mapped" "async-global mmap capture mapped")
for mode in "${modes[@]}"; do
    read -r backend access direction sync <<< "$mode"
    flags=(--backend "$backend")
    [ "$backend" = async-global ] && flags=(--backend async --global-executor)
    [ "$sync" = sync ] && flags+=(--sync-ptr)
    echo "allocations side=alsaswift backend=$backend access=$access direction=$direction sync=$sync $(allocations_of "$swift" "$dev" "$access" "$direction" 1000 "${flags[@]}")" >> "$results"
done

# 3. User-space instructions per period (callgrind): the instructions of the loop's 200-period
#    window alone, between its two markers (callgrind-window.py), so start-up and teardown,
#    whose cost varies from run to run on the Swift side, are left out. Valgrind 3.19 cannot read
#    the DWARF Swift 6 writes, so it runs a copy of the Swift loop without debug info.
strip --strip-debug -o "$out/alsa-loop-stripped" "$swift"
here=$(cd "$(dirname "$0")" && pwd)
instructions() {  # side access direction periods sync
    command_for "$@"
    [ "$1" = alsaswift ] && CMD[0]="$out/alsa-loop-stripped"
    rm -f "$out"/cgw.*
    valgrind --tool=callgrind --vgdb=no -q --zero-before=access --dump-before=faccessat --callgrind-out-file="$out/cgw.%p" "${CMD[@]}" --period 1024 > "$out/cg-run" 2>&1
    python3 "$here/callgrind-window.py" "$out/cgw"
}
for mode in "mmap playback " "mmap playback sync" "rw playback " "rw playback sync" "rw capture "; do
    read -r access direction sync <<< "$mode"
    for side in alsaswift alsa-lib; do
        # An xrun's recovery (errors, their descriptions) would be counted in: a second try if
        # the first had one; every try's xruns are reported.
        seen=""
        for try in 1 2; do
            w=$(instructions $side "$access" "$direction" 200 "${sync:-}")
            x=$(xruns_of "$out/cg-run")
            seen="$seen${seen:+,}${x:-?}"
            [ "${x:-1}" = 0 ] && break
        done
        echo "instructions side=$side access=$access direction=$direction sync=${sync:-mapped} period=1024 ${w:-window=missing} periods=200 xruns=$seen" >> "$results"
    done
done

# 4. Latency headroom: the smallest period (4 per buffer) at which $headroom s of read/write
#    playback runs without an xrun. Both sides do the same work, zeros from memory through their
#    own loop (period-bench and its alsa-lib twin); each size gets three tries, which side goes first
#    alternates, and the table takes the median. Sizes stop once both sides have passed one.
passed_swift="" passed_c=""
for size in 32 64 128 256 512 1024; do
    for try in 1 2 3; do
        order="alsaswift alsa-lib"
        [ $((try % 2)) = 0 ] && order="alsa-lib alsaswift"
        for side in $order; do
            [ "$side" = alsaswift ] && [ -n "$passed_swift" ] && continue
            [ "$side" = alsa-lib ] && [ -n "$passed_c" ] && continue
            command_for $side rw playback 0
            x=$("${CMD[@]}" --seconds "$headroom" --period "$size" --stop-on-xrun 2>&1 | grep -o 'xruns=[0-9]*' | cut -d= -f2)
            echo "headroom side=$side period=$size try=$try seconds=$headroom xruns=${x:-error}" >> "$results"
        done
    done
    for side in alsaswift alsa-lib; do
        # Median of three 0-or-more xrun counts: passed when at least two tries had none.
        clean=$(grep -c "^headroom side=$side period=$size try=[0-9] seconds=$headroom xruns=0$" "$results")
        if [ "$clean" -ge 2 ]; then
            [ "$side" = alsaswift ] && passed_swift=${passed_swift:-$size}
            [ "$side" = alsa-lib ] && passed_c=${passed_c:-$size}
        fi
    done
    [ -n "$passed_swift" ] && [ -n "$passed_c" ] && break
done
cat "$results"
