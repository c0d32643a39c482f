#!/usr/bin/env python3
"""Prints the benchmark table: each figure for AlsaSwift and alsa-lib side by side, the ratio, the
goal and a strict verdict.

Strict means: a goal "≤ 2" is met by 2.00 and not by 2.01; per-period figures are exact quotients
of the raw counts, not rounded ones; a figure from a run with xruns does not count (recovery costs
calls of its own); a missing, negative or otherwise impossible figure is an ERROR, never a pass.
"""
import statistics
import sys
from fractions import Fraction

path, headroom = sys.argv[1], sys.argv[2]
rows = []
for line in open(path):
    parts = line.split()
    if not parts:
        continue
    kind, fields = parts[0], dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    rows.append((kind, fields))


def find(kind, **match):
    return next((f for k, f in rows if k == kind and all(f.get(key) == value for key, value in match.items())), None)


def find_all(kind, **match):
    return [f for k, f in rows if k == kind and all(f.get(key) == value for key, value in match.items())]


table = []
unmet = []


class Bad(Exception):
    """A figure that cannot be judged: shown as ERROR with the reason."""


def row(label, ours, theirs, goal, verdict=None, ratio=None):
    """`verdict` is True, False, None (no goal) or a string (an error's reason)."""
    if ratio is None:
        try:
            a, b = float(ours), float(theirs)
            ratio = f"{a / b:.2f}" if b else ("0" if a == 0 else "∞")
        except (TypeError, ValueError):
            ratio = ""
    if isinstance(verdict, str) and verdict.startswith("not reachable"):
        shown = f"NOT met, {verdict}"
    elif isinstance(verdict, str):
        shown = f"ERROR: {verdict}"
    else:
        shown = "" if verdict is None else ("met" if verdict else "NOT met")
    if verdict is not None and verdict is not True:
        unmet.append(label)
    table.append((label, "—" if ours is None else str(ours), "—" if theirs is None else str(theirs), ratio, goal, shown))


def per_period(fields, key):
    """The exact per-period quotient of a "short,long" count pair over `span`, or Bad."""
    if not fields or key not in fields or "span" not in fields:
        raise Bad("missing")
    try:
        short, long = (int(v) for v in fields[key].split(","))
        span = int(fields["span"])
    except ValueError:
        raise Bad(f"unreadable {key}={fields[key]}")
    value = Fraction(long - short, span)
    if value < 0 or span <= 0:
        raise Bad(f"negative ({float(value):.2f})")
    return value


def shown(value):
    return f"{float(value):.3f}"


# 1. Kernel calls per period.
for direction in ("playback", "capture"):
    for access, sync, label in (("mmap", "mapped", "mmap, mapped records"), ("mmap", "sync", "mmap, SYNC_PTR forced"),
                                ("rw", "mapped", "read/write, mapped records"), ("rw", "sync", "read/write, SYNC_PTR forced")):
        o = find("calls", side="alsaswift", access=access, direction=direction, sync=sync)
        t = find("calls", side="alsa-lib", access=access, direction=direction, sync=sync)
        xr = f"xruns {o.get('xruns', '?') if o else '?'} / {t.get('xruns', '?') if t else '?'}"

        def figure(key, goal, test):
            name = key.upper() if key not in ("ioctl", "poll") else key
            label_ = f"{direction} {label}: {name}/period ({xr})"
            try:
                ours = per_period(o, key)
            except Bad as bad:
                row(label_, None, None, goal, str(bad) if goal else None)
                return
            try:
                theirs = shown(per_period(t, key))
            except Bad as bad:
                theirs = f"({bad})"
            if not goal:
                row(label_, shown(ours), theirs, "")
            elif o.get("clean") != "yes":
                row(label_, shown(ours), theirs, goal, "xruns in every try, so recovery calls are counted in")
            else:
                row(label_, shown(ours), theirs, goal, test(ours))

        if access == "mmap" and sync == "sync":
            figure("sync_ptr", "≤ 2", lambda v: v <= 2)
        elif access == "mmap":
            figure("ioctl", "0 besides the wait", lambda v: v == 0)
        else:
            transfer = "writei" if direction == "playback" else "readi"
            figure(transfer, "1", lambda v: v == 1)
            if sync == "sync":
                figure("sync_ptr", "≤ 1", lambda v: v <= 1)
        figure("poll", "", None)

# 2. Allocations per period, on every path.
for k, f in rows:
    if k != "allocations" or f.get("side") != "alsaswift":
        continue
    backend = f.get("backend")
    t = find("allocations", side="alsa-lib", backend="direct", access=f.get("access"), direction=f.get("direction"),
             sync=f.get("sync")) if backend == "direct" else None
    xr = f"xruns {f.get('xruns', '?')}" + (f" / {t.get('xruns', '?')}" if t else "")
    label = f"allocations/period, {backend} {f.get('access')} {f.get('direction')} ({f.get('sync')}; {xr})"

    def count(fields):
        value = fields.get("steady_allocations") if fields else None
        if value is None or value.startswith("n/a"):
            raise Bad("not counted (no interposer)")
        if not value.lstrip("-").isdigit() or int(value) < 0:
            raise Bad(f"impossible count {value}")
        return int(value)

    try:
        ours = count(f)
    except Bad as bad:
        row(label, None, None, "0", str(bad))
        continue
    theirs = None
    if t:
        try:
            theirs = f"{count(t) / 1000:.3f}"
        except Bad as bad:
            theirs = f"({bad})"
    if backend == "async-global":
        # The task on Swift's global executor instead of the stream's: libdispatch's own
        # allocation per resume from a thread that is not its worker. Shown, not judged.
        row(label.replace("async-global", "async on the global executor (for comparison)"), f"{ours / 1000:.3f}", theirs, "", None)
    elif ours != 0 and f.get("xruns", "?").split(",")[-1] != "0":
        row(label, f"{ours / 1000:.3f}", theirs, "0", "xruns in every try, so recovery's allocations are counted in")
    else:
        row(label, f"{ours / 1000:.3f}", theirs, "0", ours == 0)

# 3. User-space instructions per period.
for k, f in rows:
    if k != "instructions" or f.get("side") != "alsaswift":
        continue
    t = find("instructions", side="alsa-lib", access=f.get("access"), direction=f.get("direction"), sync=f.get("sync"))
    where = "host, alsa-lib null PCM" if f.get("sync") == "null-host" else f"snd-dummy, records {f.get('sync')}"
    label = f"instructions/period (callgrind), {f.get('access')} {f.get('direction')}, {where}, period {f.get('period')}"
    if f.get("xruns"):
        label += f" (xruns {f['xruns']} / {t.get('xruns', '?') if t else '?'})"

    def instructions(fields):
        if not fields:
            raise Bad("missing")
        window = fields.get("window", "missing")
        if window.startswith("error:"):
            raise Bad(window.replace("_", " "))
        try:
            ir, periods = int(window), int(fields["periods"])
        except (KeyError, ValueError):
            raise Bad("missing")
        if ir <= 0 or periods <= 0:
            raise Bad(f"impossible ({ir} over {periods} periods)")
        return Fraction(ir, periods)

    try:
        ours, theirs = instructions(f), instructions(t)
    except Bad as bad:
        row(label, None, None, "≤ alsa-lib", str(bad))
        continue
    last = [x.split(",")[-1] for x in (f.get("xruns", "0"), (t or {}).get("xruns", "0"))]
    if any(x != "0" for x in last):  # a figure with recovery counted in is no verdict either way
        row(label, f"{float(ours):.2f}", f"{float(theirs):.2f}", "≤ alsa-lib", "xruns in every try, so recovery is counted in")
    elif f.get("sync") == "null-host" and ours > theirs:
        # Both sides make the same alsa-lib calls here; AlsaSwift's side is a wrapper of them, so
        # it costs what they cost plus its own frames and error capture: it cannot be met.
        row(label, f"{float(ours):.2f}", f"{float(theirs):.2f}", "≤ alsa-lib",
            "not reachable: a wrapper of the same alsa-lib calls (what it adds: BENCHMARKS.md)")
    else:
        row(label, f"{float(ours):.2f}", f"{float(theirs):.2f}", "≤ alsa-lib", ours <= theirs)

# 4. Latency headroom: the smallest size where the median of three tries had no xrun.
def smallest(side):
    sizes = sorted({int(f["period"]) for f in find_all("headroom", side=side)})
    for size in sizes:
        tries = find_all("headroom", side=side, period=str(size))
        counts = [int(f["xruns"]) for f in tries if f.get("xruns", "").isdigit()]
        if len(counts) == 3 and statistics.median(counts) == 0:
            return size, tries
    return None, []


(ours, _), (theirs, _) = smallest("alsaswift"), smallest("alsa-lib")
tries = {side: " ".join(f"{f['period']}:{f['xruns']}" for f in find_all("headroom", side=side)) for side in ("alsaswift", "alsa-lib")}
label = f"smallest period with {headroom} s and no xrun, median of 3 tries (frames)"
notes = [f"Latency tries (period:xruns), AlsaSwift: {tries['alsaswift'] or 'none'}; alsa-lib: {tries['alsa-lib'] or 'none'}."]
if ours is None:
    row(label, None, theirs, "≤ alsa-lib", "no size passed")
else:
    row(label, ours, theirs, "≤ alsa-lib", theirs is None or ours <= theirs)

# 5. Conversion throughput: the median of the tries, each the best of five rounds.
for fmt in ("S16_LE", "S24_3LE", "S32_LE", "FLOAT_LE"):
    for layout in ("contiguous", "strided"):
        for key, name in (("from_float_per_s", f"Float → {fmt}"), ("to_float_per_s", f"{fmt} → Float")):
            label = f"{name}, {layout}, M samples/s (median of tries)"

            def median(side):
                values = [float(f[key]) for f in find_all("convert", side=side, format=fmt, layout=layout) if key in f]
                if not values:
                    raise Bad("missing")
                if any(v <= 0 for v in values):
                    raise Bad("impossible rate")
                return statistics.median(values)

            try:
                o, t = median("alsaswift"), median("alsa-lib")
            except Bad as bad:
                row(label, None, None, "≥ 1.5× alsa-lib", str(bad))
                continue
            row(label, f"{o / 1e6:.0f}", f"{t / 1e6:.0f}", "≥ 1.5× alsa-lib", o >= 1.5 * t, ratio=f"{o / t:.2f}")

# 6. Conversion against the C loop of the same rule (-O3 -march=native), every format the library
# converts. The Swift program times both sides pair by pair in one process, so each try gives a
# ratio of its own; the verdict is the median of those ratios, the figures the medians of the rates.
FORMATS = ("S8", "U8", "S16_LE", "S16_BE", "U16_LE", "U16_BE", "S24_LE", "S24_BE", "S24_3LE", "S24_3BE",
           "S32_LE", "S32_BE", "FLOAT_LE", "FLOAT_BE", "FLOAT64_LE", "FLOAT64_BE")
DIRECTIONS = (("from_float_per_s", "Float → {}"), ("to_float_per_s", "{} → Float"))


def rates(fields, key):
    value = float(fields[key])
    if value <= 0:
        raise Bad("impossible rate")
    return value


for fmt in FORMATS:
    for layout in ("contiguous", "strided"):
        for key, name in DIRECTIONS:
            label = f"{name.format(fmt)}, {layout}, M samples/s, against the C loop -O3 -march=native (anchor column)"
            try:
                tries = [f for f in find_all("convert", side="alsaswift", format=fmt, layout=layout) if key in f and "c_" + key in f]
                if not tries:
                    raise Bad("missing")
                pairs = [(rates(f, key), rates(f, "c_" + key)) for f in tries]
            except (Bad, ValueError) as bad:
                row(label, None, None, "≥ 0.9× C loop", str(bad) or "unreadable")
                continue
            ratio = statistics.median(o / t for o, t in pairs)
            row(label, f"{statistics.median(o for o, _ in pairs) / 1e6:.0f}", f"{statistics.median(t for _, t in pairs) / 1e6:.0f}",
                "≥ 0.9× C loop", ratio >= 0.9, ratio=f"{ratio:.2f}")

# 7. No contiguous conversion slower than its strided twin (AlsaSwift's own two, each try's pair
# from one process; the verdict is the median of the tries' ratios).
for fmt in FORMATS:
    for key, name in DIRECTIONS:
        label = f"{name.format(fmt)}, AlsaSwift contiguous against its strided twin (anchor column), M samples/s"
        try:
            contiguous = {f.get("try"): rates(f, key) for f in find_all("convert", side="alsaswift", format=fmt, layout="contiguous") if key in f}
            strided = {f.get("try"): rates(f, key) for f in find_all("convert", side="alsaswift", format=fmt, layout="strided") if key in f}
            pairs = [(contiguous[t], strided[t]) for t in contiguous if t in strided]
            if not pairs:
                raise Bad("missing")
        except (Bad, ValueError) as bad:
            row(label, None, None, "≥ strided", str(bad) or "unreadable")
            continue
        ratio = statistics.median(c / s for c, s in pairs)
        row(label, f"{statistics.median(c for c, _ in pairs) / 1e6:.0f}", f"{statistics.median(s for _, s in pairs) / 1e6:.0f}",
            "≥ strided", ratio >= 1, ratio=f"{ratio:.2f}")

for k, f in rows:
    if k == "machine":
        print(f"- {f.get('where')}: kernel {f.get('kernel')}, {f.get('cpus')} CPUs" + (f", {f['cpu'].replace('_', ' ')}" if "cpu" in f else ""))
print()
header = ("figure", "AlsaSwift", "alsa-lib / anchor", "ratio", "goal", "")
widths = [max(len(r[i]) for r in table + [header]) for i in range(6)]
for r in [header] + table:
    print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
    if r is header:
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
print()
for note in notes:
    print(note)
print(f"{len(unmet)} figure(s) not met or in error." if unmet else "Every goal met.")
