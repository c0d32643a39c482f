#!/usr/bin/env python3
"""Prints the app-facing paths' table: each of AlsaSwift's paths (streams and render threads) per
card, transport and access, beside aplay/arecord with the same period and buffer, and a strict
verdict per row against the goals of issue 20:

  transfers per period <= 1.00 (one move a period; a late wake-up may move two periods at once)
  waits per period <= 1.00
  frames converted = frames moved (none on the -raw paths, which copy S16_LE frames as aplay does)
  CPU per second of audio <= 1.5x the peer's on read/write, <= 1.0x on mmap (the process's time on
  a CPU over a window of its steady state, from its threads' schedstat in nanoseconds; user +
  system clock ticks where a result has no such figure: Rig/cpu-window.py)

sleeps/period (shown, not judged) is the process's voluntary context switches per period in its CPU
window: the sleeps the kernel saw, for the peers too.

Per-period figures are exact quotients of counts over the window's whole periods. A figure from a
run with xruns is not judged (recovery costs calls and CPU of its own): the row says "not
judged" and counts as not met. A missing
or impossible figure is an ERROR, never a pass.

    app-table.py RESULTS
"""
import sys
from fractions import Fraction

rows = []
for line in open(sys.argv[1]):
    parts = line.split()
    if parts:
        rows.append((parts[0], dict(p.split("=", 1) for p in parts[1:] if "=" in p)))


def find(kind, **match):
    return next((f for k, f in rows if k == kind and all(f.get(key) == value for key, value in match.items())), None)


class Bad(Exception):
    """A figure that cannot be judged."""


def number(fields, key):
    value = (fields or {}).get(key)
    if value is None or value in ("n/a", "x", "?"):
        raise Bad(f"no {key}")
    try:
        return int(value)
    except ValueError:
        raise Bad(f"unreadable {key}={value}")


def pair(fields, key):
    """A "short,long" pair of numbers."""
    value = (fields or {}).get(key, "")
    try:
        short, long = (float(v) for v in value.split(","))
    except ValueError:
        raise Bad(f"unreadable {key}={value or 'missing'}")
    return short, long


def last_try_clean(fields):
    """The last try of a run had no xrun (tries' xruns are comma-separated)."""
    return (fields or {}).get("xruns", "?").split(",")[-1] == "0"


def cpu_per_second(fields):
    """Milliseconds of CPU per second of audio over the run's steady window: the threads' time on a
    CPU (nanoseconds) where the window has it, else user + system (10 ms ticks)."""
    fields = fields or {}
    if fields.get("oncpu", "x") != "x":
        try:
            used, seconds = float(fields["oncpu"]), float(fields.get("seconds", "x"))
        except ValueError:
            raise Bad("no CPU window (the run ended before it closed, or never ran)")
        if seconds <= 0 or used < 0:
            raise Bad(f"impossible CPU window ({used} s on a CPU in {seconds} s)")
        return used / seconds * 1000
    try:
        user, system, seconds = (float((fields or {}).get(key, "x")) for key in ("user", "sys", "seconds"))
    except ValueError:
        raise Bad("no CPU window (the run ended before it closed, or never ran)")
    if seconds <= 0 or user < 0 or system < 0:
        raise Bad(f"impossible CPU window ({user} + {system} s in {seconds} s)")
    return (user + system) / seconds * 1000


def sleeps_per_period(fields):
    """The process's sleeps (voluntary context switches) per period in its CPU window, or None
    where the run has no such figure. Shown, not judged: it tells a poll that slept from one
    that returned at once, which strace's call counts cannot, for the peers as for AlsaSwift."""
    try:
        slept, seconds, period = (float((fields or {}).get(key, "x")) for key in ("sleeps", "seconds", "period"))
    except ValueError:
        return None
    return slept / (seconds * 48_000 / period) if seconds > 0 and period > 0 else None


def fmt(value):
    return "—" if value is None else f"{float(value):.2f}"


table = []
unmet = []
header = ("card", "client", "transport", "access", "transfers/period", "waits/period", "sleeps/period", "ioctl/period", "SYNC_PTR/period",
          "converted/moved", "CPU ms per audio s", "× peer", "verdict")

for card in dict.fromkeys(f["card"] for k, f in rows if k in ("app", "peer")):
    for direction in ("playback", "capture"):
        for access in ("rw", "mmap"):
            peer = find("peer", card=card, direction=direction, access=access)
            calls = find("peercalls", card=card, direction=direction, access=access)
            tool = "aplay" if direction == "playback" else "arecord"
            peer_cpu = None
            notes = []
            try:
                if not peer:
                    raise Bad("missing")
                if not last_try_clean(peer):
                    raise Bad(f"xruns in every try ({peer.get('xruns')})")
                peer_cpu = cpu_per_second(peer)
            except Bad as bad:
                notes.append(f"CPU: {bad}")
            per = {}
            try:
                if not calls:
                    raise Bad("missing")
                s, l = pair(calls, "seconds")
                periods = Fraction(int((l - s) * 48_000), int(calls["period"]))
                for key in ("ioctl", "writei", "readi", "sync_ptr", "hwsync", "poll"):
                    a, b = pair(calls, key)
                    per[key] = Fraction(int(b - a)) / periods
                if calls.get("xruns") != "0+0":
                    notes.append(f"traced runs had xruns ({calls.get('xruns')})")
            except Bad as bad:
                notes.append(f"calls: {bad}")
            transfer_key = "writei" if direction == "playback" else "readi"
            transfers = per.get(transfer_key) if access == "rw" else None
            label = f"{tool}{' -M' if access == 'mmap' else ''}"
            table.append((card, label, "alsa-lib", access, fmt(transfers), fmt(per.get("poll")), fmt(sleeps_per_period(peer)),
                          fmt(per.get("ioctl")),
                          fmt(per.get("sync_ptr")), "—", "ERROR" if peer_cpu is None else f"{peer_cpu:.1f}", "",
                          "peer" + (f" ({'; '.join(notes)})" if notes else "")))
            if peer_cpu is None:
                unmet.append(f"{card} {label} CPU")

            paths = (("write", "write-blocking", "write-blocking-raw", "render-playback") if direction == "playback"
                     else ("read", "read-blocking", "read-blocking-raw", "render-capture"))
            for transport in ("direct", "alsa-lib"):
                for path in paths:
                    app = find("app", card=card, path=path, transport=transport, access=access)
                    label = {"write": "PlaybackStream.write", "write-blocking": "PlaybackStream.writeBlocking",
                             "write-blocking-raw": "PlaybackStream.writeBlocking(rawFrames:)",
                             "read": "CaptureStream.read", "read-blocking": "CaptureStream.readBlocking",
                             "read-blocking-raw": "CaptureStream.readBlocking(rawFramesInto:)",
                             "render-playback": "RenderThread playback", "render-capture": "RenderThread capture"}[path]
                    problems, notes, unjudged = [], [], []
                    cells = {}
                    try:
                        if not app:
                            raise Bad("missing")
                        if "error" in app:
                            raise Bad(app["error"].replace("_", " ").replace(":", "="))
                        periods = number(app, "window_periods")
                        render = path.startswith("render")
                        traced = find("appcalls", card=card, path=path, transport=transport, access=access) if transport == "alsa-lib" else None
                        if transport == "alsa-lib":
                            # alsa-lib's own calls, counted by strace in a window of its own.
                            if not traced:
                                raise Bad("no traced run")
                            traced_periods = number(traced, "window_periods")
                            count = lambda key: Fraction(number(traced, key), traced_periods)  # noqa: E731
                            if traced.get("xruns") != "0":
                                unjudged.append(f"the traced run had xruns ({traced.get('xruns')}), so its calls are not judged")
                        else:
                            count = lambda key: Fraction(number(app, key), periods)  # noqa: E731
                        cells["ioctl"] = count("ioctl" if transport == "alsa-lib" else "ioctls")
                        cells["sync_ptr"] = count("sync_ptr")
                        # Transfers: the kernel's WRITEI/READI for read/write; for mmap, the SYNC_PTR
                        # commits where the records are not mapped (direct transport), else the
                        # engine's begin-commit pairs (streams; a render thread's are not visible).
                        if access == "rw":
                            cells["transfers"] = count("writei" if direction == "playback" else "readi")
                        elif transport == "direct" and number(app, "sync_ptr") > 0:
                            cells["transfers"] = Fraction(number(app, "commits"), periods)
                        elif not render:
                            cells["transfers"] = Fraction(number(app, "transfers"), periods)
                        else:
                            cells["transfers"] = None
                            notes.append("mmap on mapped records: no call per transfer to count")
                        cells["waits"] = Fraction(number(app, "waits"), periods)
                        converted = number(app, "converted")
                        moved = number(app, "kernel_frames") if transport == "direct" else number(app, "frames")
                        if render and transport != "direct":
                            notes.append("frames moved: the callbacks' (alsa-lib's count is not visible)")
                        cells["conversion"] = Fraction(converted, moved) if moved > 0 else None
                        if cells["conversion"] is None:
                            raise Bad(f"no frames moved ({moved})")
                        cells["cpu"] = cpu_per_second(app)
                    except Bad as bad:
                        problems.append(f"ERROR: {bad}")
                    clean = app is not None and last_try_clean(app)
                    if app is not None and not clean:
                        unjudged.append(f"xruns in every try ({app.get('xruns')})")
                    if not problems and not any(u.startswith("xruns") for u in unjudged):
                        if cells["transfers"] is not None and not unjudged and not (0 < cells["transfers"] <= 1):
                            problems.append(f"transfers {float(cells['transfers']):.2f}")
                        if cells["waits"] > 1:
                            problems.append(f"waits {float(cells['waits']):.2f}")
                        # The raw paths copy the device's frames: nothing is converted.
                        if cells["conversion"] != (0 if path.endswith("-raw") else 1):
                            problems.append(f"converted/moved {float(cells['conversion']):.4f}")
                        limit = 1.5 if access == "rw" else 1.0
                        if peer_cpu is None:
                            problems.append("no peer CPU to compare")
                        elif cells["cpu"] > limit * peer_cpu:
                            problems.append(f"CPU {cells['cpu'] / peer_cpu:.2f}× > {limit}×")
                    ratio = f"{cells['cpu'] / peer_cpu:.2f}" if "cpu" in cells and peer_cpu else ""
                    if any(p.startswith("ERROR") for p in problems):
                        verdict = "; ".join(problems)
                    elif problems:
                        verdict = "NOT met: " + "; ".join(problems + unjudged)
                    elif unjudged:
                        verdict = "not judged: " + "; ".join(unjudged)
                    else:
                        verdict = "met"
                    if problems or unjudged:
                        unmet.append(f"{card} {label} {transport} {access}")
                    if notes:
                        verdict += f" ({'; '.join(notes)})"
                    table.append((card, label, transport, access, fmt(cells.get("transfers")), fmt(cells.get("waits")),
                                  fmt(sleeps_per_period(app)), fmt(cells.get("ioctl")), fmt(cells.get("sync_ptr")),
                                  f"{float(cells['conversion']):.4f}" if cells.get("conversion") is not None else "—",
                                  f"{cells['cpu']:.1f}" if "cpu" in cells else "—", ratio, verdict))

for k, f in rows:
    if k == "machine" and f.get("where") == "rig" and "card" in f:
        print(f"- rig ({f['card']}): kernel {f.get('kernel')}, {f.get('cpus')} CPUs")
print()
widths = [max(len(r[i]) for r in table + [header]) for i in range(len(header))]
for r in [header] + table:
    print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
    if r is header:
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
print()
print(f"{len(unmet)} app-path row(s) not met or in error." if unmet else "Every app-path goal met.")
