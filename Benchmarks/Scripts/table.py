#!/usr/bin/env python3
"""Prints the benchmark table: each figure for AlsaSwift and alsa-lib side by side, with the ratio."""
import sys

path, headroom = sys.argv[1], sys.argv[2]
rows = []
for line in open(path):
    parts = line.split()
    if not parts:
        continue
    kind, fields = parts[0], dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    rows.append((kind, fields))


def find(kind, **match):
    for k, f in rows:
        if k == kind and all(f.get(key) == value for key, value in match.items()):
            return f
    return None


table = []


def row(label, ours, theirs, goal, met=None):
    ratio = ""
    try:
        a, b = float(ours), float(theirs)
        ratio = f"{a / b:.2f}" if b else ("0" if a == 0 else "∞")
    except (TypeError, ValueError):
        pass
    table.append((label, str(ours if ours is not None else "—"), str(theirs if theirs is not None else "—"), ratio, goal,
                  "" if met is None else ("met" if met else "NOT met")))


for direction in ("playback", "capture"):
    for access, sync, label in (("mmap", "mapped", "mmap, mapped records"), ("mmap", "sync", "mmap, SYNC_PTR forced"),
                                ("rw", "mapped", "read/write, mapped records"), ("rw", "sync", "read/write, SYNC_PTR forced")):
        ours = find("calls", side="alsaswift", access=access, direction=direction, sync=sync)
        theirs = find("calls", **{"side": "alsa-lib", "access": access, "direction": direction, "sync": sync})
        if not ours and not theirs:
            continue
        o, t = ours or {}, theirs or {}
        if access == "mmap" and sync == "sync":
            # Recovering an xrun (strace slows the guest) costs a few calls more over the run.
            row(f"{direction} {label}: SYNC_PTR/period (xruns {o.get('xruns', '?')} / {t.get('xruns', '?')})",
                o.get("sync_ptr"), t.get("sync_ptr"), "≤ 2", float(o["sync_ptr"]) <= 2.05 if "sync_ptr" in o else None)
        elif access == "mmap":
            extra = float(o.get("ioctl", "nan")) if o else None
            row(f"{direction} {label}: ioctl/period", o.get("ioctl"), t.get("ioctl"), "0 besides the wait",
                extra is not None and extra <= 0.05)
        else:
            transfer = "writei" if direction == "playback" else "readi"
            row(f"{direction} {label}: {transfer.upper()}/period", o.get(transfer), t.get(transfer), "1",
                abs(float(o[transfer]) - 1) <= 0.05 if transfer in o else None)
            if sync == "sync":
                row(f"{direction} {label}: SYNC_PTR/period", o.get("sync_ptr"), t.get("sync_ptr"), "≤ 1",
                    float(o["sync_ptr"]) <= 1.05 if "sync_ptr" in o else None)
        row(f"{direction} {label}: poll/period", o.get("poll"), t.get("poll"), "")

for k, f in rows:
    if k != "allocations" or f.get("side") != "alsaswift":
        continue
    backend = f.get("backend")
    label = f"allocations/period, {backend} {f.get('access')} {f.get('direction')} ({f.get('sync')})"
    theirs = None
    if backend == "direct":
        t = find("allocations", side="alsa-lib", access=f.get("access"), direction=f.get("direction"), sync=f.get("sync"))
        theirs = t and t.get("steady_allocations")
    ours = f.get("steady_allocations")
    per = lambda v: None if v is None or v.startswith("n/a") else f"{int(v) / 1000:.3f}"
    row(label, per(ours), per(theirs), "0", per(ours) is not None and int(ours) == 0)

for k, f in rows:
    if k == "instructions" and f.get("side") == "alsaswift":
        t = find("instructions", side="alsa-lib", access=f.get("access"), direction=f.get("direction"), sync=f.get("sync"))
        o_val, t_val = f.get("per_period"), t and t.get("per_period")
        met = None
        try:
            met = float(o_val) <= float(t_val)
        except (TypeError, ValueError):
            pass
        where = "host, alsa-lib null PCM" if f.get("sync") == "null-host" else f"snd-dummy, records {f.get('sync')}"
        row(f"instructions/period (callgrind), {f.get('access')} {f.get('direction')}, {where}, period {f.get('period')}",
            o_val, t_val, "≤ alsa-lib", met)

ours, aplay = find("headroom", side="alsaswift"), find("headroom", side="aplay")
row(f"smallest period with {headroom} s and no xrun (frames)", ours and ours.get("period"), aplay and aplay.get("period"),
    "≤ aplay", (ours and aplay and int(ours["period"]) <= int(aplay["period"])) if ours and aplay else None)

for fmt in ("S16_LE", "S24_3LE", "S32_LE"):
    o, t = find("convert", side="alsaswift", format=fmt), find("convert", side="alsa-lib", format=fmt)
    for key, label in (("from_float_per_s", f"Float → {fmt}"), ("to_float_per_s", f"{fmt} → Float")):
        ov, tv = o and o.get(key), t and t.get(key)
        row(f"{label}, M samples/s", f"{float(ov) / 1e6:.0f}" if ov else None, f"{float(tv) / 1e6:.0f}" if tv else None, "")

widths = [max(len(r[i]) for r in table + [("figure", "AlsaSwift", "alsa-lib", "ratio", "goal", "")]) for i in range(6)]
header = ("figure", "AlsaSwift", "alsa-lib", "ratio", "goal", "")
for r in [header] + table:
    print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
    if r is header:
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
