#!/usr/bin/env python3
"""BENCHMARKS.md's duplex tables from Rig/measure-duplex's results.txt.

    Benchmarks/Scripts/duplex-table.py RESULTS.txt
    Benchmarks/Scripts/duplex-table.py --help     # this text

Prints Markdown: the round trip (alsa-loop, alsaloop, alsabat), alsabat through each loop, the
lowest xrun-free period of each try and their median (goal: alsa-loop at or below alsaloop), and
the drift run on two clocks (goal: 0 xruns, and the round trip's range over the run no wider than
two periods: within ±1 period of its middle).
A figure the run could not take is "x". Exits 1 when a goal is not met, 2 on bad input.
"""
import statistics
import sys

RATE = 48_000


def parse(path):
    rows = []
    with open(path, encoding="utf-8") as results:
        for line in results:
            words = line.split()
            if not words:
                continue
            fields = {"kind": words[0]}
            for word in words[1:]:
                key, _, value = word.partition("=")
                fields[key] = value
            rows.append(fields)
    return rows


def ms(frames):
    try:
        return f"{int(frames) * 1000 / RATE:.3f}"
    except ValueError:
        return "x"


def xruns(row):
    return f"{row.get('xruns', 'x')} ({row.get('capture_xruns', 'x')}/{row.get('playback_xruns', 'x')})"


def lowest(rows, tool):
    """Each try's lowest passing period (None: no rung passed) and the median, None if unknown."""
    tries = [row for row in rows if row["kind"] == "ladder" and row["tool"] == tool]
    periods = [int(row["lowest"]) if row["lowest"].isdigit() else None for row in tries]
    # A try where no rung passed counts as above the ladder's top.
    ranked = [p if p is not None else float("inf") for p in periods]
    median = statistics.median_low(ranked) if ranked else None
    return tries, periods, median


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stdout if len(argv) == 2 else sys.stderr)
        return 0 if len(argv) == 2 else 2
    try:
        rows = parse(argv[1])
    except OSError as error:
        print(f"duplex-table: {error}", file=sys.stderr)
        return 2
    met = True
    machine = next((row for row in rows if row["kind"] == "machine"), {})
    print(f"Machine: {machine.get('where', 'x')}, kernel {machine.get('kernel', 'x')}, {machine.get('cpus', 'x')} CPUs, "
          f"alsa-utils {machine.get('alsa-utils', 'x')}.\n")

    print("| period | alsa-loop reports | its range over 5 s | alsa-loop xruns (capture/playback) "
          "| alsaloop sets up | alsaloop xruns (capture/playback) | alsabat --roundtriplatency |")
    print("|---|---|---|---|---|---|---|")
    trips = [row for row in rows if row["kind"] == "roundtrip"]
    for period in sorted({int(row["period"]) for row in trips}):
        by = {row["tool"]: row for row in trips if int(row["period"]) == period}
        ours, peer, bat = by.get("alsa-loop", {}), by.get("alsaloop", {}), by.get("alsabat", {})
        span = ours.get("range", "x").replace(",", " to ")
        print(f"| {period} | {ours.get('reported', 'x')} frames ({ms(ours.get('reported', 'x'))} ms) | {span} "
              f"| {xruns(ours)} | {peer.get('reported', 'x')} frames (buffers {peer.get('buffers', 'x').replace(',', ', ')}) | {xruns(peer)} "
              f"| {bat.get('final_ms', 'x')} ms (tests {bat.get('tests_ms', 'x').replace(',', ', ')} ms) |")

    through = [row for row in rows if row["kind"] == "through"]
    if through:
        print("\n| period | alsabat through alsa-loop | through alsaloop | alsabat's period/buffer | loop's xruns |")
        print("|---|---|---|---|---|")
        for period in sorted({int(row["period"]) for row in through}):
            by = {row["tool"]: row for row in through if int(row["period"]) == period}
            ours, peer = by.get("alsa-loop", {}), by.get("alsaloop", {})
            print(f"| {period} | {ours.get('final_ms', 'x')} ms ({ours.get('tests_ms', 'x').replace(',', ', ')}) "
                  f"| {peer.get('final_ms', 'x')} ms ({peer.get('tests_ms', 'x').replace(',', ', ')}) "
                  f"| {ours.get('alsabat_period_buffer', 'x')}; {peer.get('alsabat_period_buffer', 'x')} "
                  f"| {ours.get('loop_xruns', 'x')}; {peer.get('loop_xruns', 'x')} |")

    print("\n| client | try 1 | try 2 | try 3 | median lowest period (round trip: two periods) |")
    print("|---|---|---|---|---|")
    medians = {}
    for tool in ("alsa-loop", "alsaloop"):
        tries, _, median = lowest(rows, tool)
        medians[tool] = median
        cells = [f"{row['lowest']} ({row['tried'].replace(',', ', ')})" for row in tries]
        cells += ["x"] * (3 - len(cells))
        shown = "above the ladder (most tries passed no rung)" if median in (None, float("inf")) else f"{median} ({ms(2 * median)} ms)"
        print(f"| {tool} | {' | '.join(cells)} | {shown} |")
    ours, peer = medians["alsa-loop"], medians["alsaloop"]
    if ours in (None, float("inf")) and peer in (None, float("inf")):
        met = False
        print("\nGoal (alsa-loop's median at or below alsaloop's): not judged (no period of the ladder passed for either).")
    elif ours is None or peer is None or ours > peer:
        met = False
        print(f"\nGoal (alsa-loop's median at or below alsaloop's): NOT MET ({ours} against {peer}).")
    else:
        print(f"\nGoal (alsa-loop's median at or below alsaloop's): met ({ours} against {peer}).")

    ours_rows = [row for row in rows if row["kind"] == "drift" and row["tool"] == "alsa-loop"]
    peer = next((row for row in rows if row["kind"] == "drift" and row["tool"] == "alsaloop"), {})
    if ours_rows or peer:
        print("\n| client | seconds | compensation | drift measured | round trip at the end | range over the run | xruns (capture/playback) |")
        print("|---|---|---|---|---|---|---|")
        for ours in ours_rows:
            steer = f"shift {ours['rate_shift']}" if ours.get("rate_shift", "x") != "x" else f"ratio {ours.get('ratio', 'x')}"
            print(f"| alsa-loop -S {ours.get('sync', 'auto')} | {ours.get('seconds', 'x')} | {ours.get('method', 'x').replace('_', ' ')}, {steer} "
                  f"| {ours.get('ppm', 'x')} ppm | {ours.get('reported', 'x')} frames | {ours.get('range', 'x').replace(',', ' to ')} frames "
                  f"| {xruns(ours)} |")
        print(f"| alsaloop -S auto | {peer.get('seconds', 'x')} | pitch {peer.get('pitch', 'x')} | (not reported) "
              f"| {peer.get('reported', 'x')} frames set up | difference {peer.get('diff_min', 'x')} to {peer.get('diff_max', 'x')} frames "
              f"| {xruns(peer)} |")
        for ours in ours_rows:
            period = ours.get("period", "x")
            try:
                low, high = (int(v) for v in ours["range"].split(","))
                width_ok = high - low <= 2 * int(period)
                clean = ours.get("xruns") == "0"
            except (KeyError, ValueError):
                width_ok = clean = False
            verdict = "met" if width_ok and clean else "NOT MET"
            met = met and width_ok and clean
            print(f"\nGoal for -S {ours.get('sync', 'auto')} (0 xruns, the round trip's range within ±1 period of {period} frames): {verdict}.")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
