#!/usr/bin/env python3
"""The MIDI latency table of BENCHMARKS.md from Rig/measure-midi-latency's results: for each
path, the median over three tries of each try's median write-to-read latency (100 messages),
AlsaSwift beside alsa-lib. A path with a missing side or a failed try is an ERROR row."""
import re
import statistics
import sys

PATHS = [
    ("virmidi", "raw MIDI -> virmidi -> raw MIDI (amidi -S to amidi -d)"),
    ("virmidi-sequencer", "raw MIDI -> virmidi -> sequencer client (amidi -S to aseqdump -p)"),
    ("sequencer", "sequencer client -> sequencer client"),
]


def main(path):
    medians, problems, machine = {}, [], ""
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line.startswith("machine "):
            machine = line
            continue
        match = re.search(r"midi side=(\S+) path=(\S+) messages=(\d+) median_us=([\d.]+) min_us=([\d.]+) max_us=([\d.]+)", line)
        if match:
            side, route, messages = match.group(1), match.group(2), int(match.group(3))
            if messages != 100:
                problems.append(f"{side} {route}: {messages} messages, not 100")
                continue
            medians.setdefault((side, route), []).append(float(match.group(4)))
        elif line:
            problems.append(line)
    print(f"({machine})")
    print()
    print("| write-to-read latency, median of 100 messages (µs; median of 3 tries) | AlsaSwift | alsa-lib | ratio | tries (AlsaSwift / alsa-lib) |")
    print("|---|---|---|---|---|")
    failed = False
    for route, label in PATHS:
        ours, theirs = medians.get(("alsaswift", route), []), medians.get(("alsa-lib", route), [])
        if len(ours) != 3 or len(theirs) != 3:
            print(f"| {label} | ERROR | ERROR | | {ours} / {theirs} |")
            failed = True
            continue
        a, b = statistics.median(ours), statistics.median(theirs)
        tries = ", ".join(f"{x:.0f}" for x in ours) + " / " + ", ".join(f"{x:.0f}" for x in theirs)
        print(f"| {label} | {a:.0f} | {b:.0f} | {a / b:.2f} | {tries} |")
    for problem in problems:
        print(f"ERROR: {problem}")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: midi-table.py RESULTS")
    sys.exit(main(sys.argv[1]))
