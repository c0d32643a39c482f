#!/usr/bin/env python3
"""The instructions of a loop's measured window, from callgrind run with
--zero-before=access --dump-before=faccessat.

Both loops (period-bench and its C twin) call access("alsa-loop:window-start") after their warm-up
and faccessat(AT_FDCWD, "alsa-loop:window-end") after their last period. Callgrind zeroes its
counters at every access() entry, which costs nothing while the stream runs, and writes a part at
the faccessat() entry, so that part holds exactly the window: the periods, the start marker's own
few instructions (on both sides alike), nothing of start-up or teardown. Writing a part at the
start instead would stall the loop while the stream runs (a Swift binary's part is large), which
caused underruns in the rig.

The window must be the only numbered part: a second faccessat() call (alsa-lib's, the runtime's)
would make more, and that is an error, never a figure. (An access() call inside the window would
zero part of it; neither loop makes one there, and the strace figures of the same loops show the
window's calls.)

    callgrind-window.py OUTPUT_PREFIX   (callgrind's --callgrind-out-file=OUTPUT_PREFIX.%p)
prints "window=IR", or "window=error:REASON" and exits 1.
"""
import glob
import re
import sys


def main():
    prefix = sys.argv[1]
    files = glob.glob(prefix + ".*")
    final = [p for p in files if re.fullmatch(r"\d+", p[len(prefix) + 1:])]
    parts = [p for p in files if re.fullmatch(r"\d+\.\d+", p[len(prefix) + 1:])]
    if len(final) != 1:
        return fail(f"expected one process, found {len(final)} final profiles")
    if len(parts) != 1:
        return fail(f"expected one part (the window), found {len(parts)}: faccessat() was called {len(parts)} times")
    trigger, ir = None, None
    with open(parts[0]) as f:
        for line in f:
            if line.startswith("desc: Trigger:"):
                trigger = line.split(":", 2)[2].strip()
            elif line.startswith("summary:"):
                ir = int(line.split()[1])
    if trigger != "--dump-before=faccessat":
        return fail(f"the part was written by {trigger!r}, not at the window's end marker")
    if not ir or ir <= 0:
        return fail("no instructions in the window")
    print(f"window={ir}")
    return 0


def fail(reason):
    print("window=error:" + reason.replace(" ", "_"))
    return 1


sys.exit(main())
