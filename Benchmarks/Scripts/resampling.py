#!/usr/bin/env python3
"""The resampling benchmark's figures, from the outputs anchors.c and resample-bench wrote into
OUTDIR and their printed lines (RESULTS), as one Markdown table per conversion, then the goals.

  resampling.py OUTDIR RESULTS

- THD+N: 1 kHz at -1 dBFS; a least-squares fit of the tone (and a constant) over the middle second,
  the rest (everything up to the output's Nyquist frequency) against the tone, in dB.
- Aliasing: downsampling, a chirp over the band above the output's Nyquist frequency (all of it must
  be removed): the output's energy against the input's; upsampling, a chirp over the whole input
  band: the output's energy above the input's Nyquist frequency (images) against the input's.
- Ripple: tones every 50 Hz (multitone), each bin's gain over the middle second; the spread
  (max - min, dB) of the tones up to 20 kHz.
- -3 dB: the first frequency (interpolated between tones) where the gain is 3 dB down; "> F" when
  no tone up to 0.999 of the lower Nyquist frequency is.
- Pitch: how far off the converter plays the 1 kHz tone (its step rounded), in ppm; THD+N and
  the response are measured at the frequencies it actually plays.
- Speed: stereo Float, M input frames per second, single thread, best of three passes; the median
  of three tries, which alternate which side runs first.
"""
import math
import re
import sys

import numpy as np

CONVERSIONS = [(44100, 48000), (48000, 44100), (96000, 44100)]
ORDER = ["alsaswift-fast", "alsaswift-standard", "alsaswift-high", "alsaswift-adaptive", "soxr-hq", "soxr-vhq",
         "libsamplerate-best", "libsamplerate-medium", "speexdsp-5", "speexdsp-10", "alsa-lib-linear"]
TONE_SPACING = 50


def load(directory, name, source, target, signal):
    return np.fromfile(f"{directory}/{name}_{source}_{target}_{signal}.f32", dtype=np.float32).astype(np.float64)


def middle_second(x, rate):
    start = rate // 2
    return x[start:start + rate]


def tone_frequency(x, rate):
    """The 1 kHz tone's actual frequency: a converter whose step is rounded (alsa-lib's linear
    plugin) plays it a little off. Zero-padded FFT peak, then the least-squares best nearby."""
    y = middle_second(x, rate)
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y)), 64 * len(y)))
    peak = np.fft.rfftfreq(64 * len(y), 1 / rate)[np.argmax(spectrum)]
    candidates = peak + np.linspace(-1 / 64, 1 / 64, 33)
    return min(candidates, key=lambda f: fit(y, f, rate)[1])


def fit(y, frequency, rate):
    k = np.arange(len(y))
    w = 2 * np.pi * frequency / rate
    basis = np.stack([np.sin(w * k), np.cos(w * k), np.ones_like(y)], axis=1)
    coefficients, *_ = np.linalg.lstsq(basis, y, rcond=None)
    residual = y - basis @ coefficients
    return math.hypot(coefficients[0], coefficients[1]), math.sqrt(2 * np.mean(residual ** 2))


def thd_n(x, rate, frequency):
    amplitude, residual = fit(middle_second(x, rate), frequency, rate)
    return 20 * math.log10(max(residual, 1e-30) / amplitude)


def aliasing(x, source, target, reference):
    """Output energy that should not be there, against the input chirp's energy, in dB."""
    y = x[target // 4: len(x) - target // 4]
    inside = reference[source // 4: len(reference) - source // 4]
    if target < source:
        unwanted = np.sum(y ** 2) / len(y)
    else:
        spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y)))) ** 2
        frequencies = np.fft.rfftfreq(len(y), 1 / target)
        unwanted = np.sum(spectrum[frequencies > source / 2 * 1.0005]) / np.sum(spectrum) * np.sum(y ** 2) / len(y)
    return 10 * math.log10(max(unwanted, 1e-30) / (np.sum(inside ** 2) / len(inside)))


def response(x, source, target, scale):
    """(frequencies, gains in dB) of the multitone's tones; `scale` is how far off the converter
    plays frequencies (1: on their bins exactly; else a Hann window and the peak near each tone)."""
    y = middle_second(x, target)
    tones = int(0.999 * min(source, target) / 2 / TONE_SPACING)
    frequencies = np.arange(1, tones + 1) * TONE_SPACING
    if abs(scale - 1) < 1e-7:
        spectrum = np.abs(np.fft.rfft(y)) * 2 / len(y)  # a 1 s window: bin k is k Hz, each tone on a bin
        return frequencies, 20 * np.log10(np.maximum(spectrum[frequencies], 1e-30) / 0.015)
    pad = 8
    window = np.hanning(len(y))
    spectrum = np.abs(np.fft.rfft(y * window, pad * len(y))) * 2 / np.sum(window)
    gains = []
    for f in frequencies:
        centre = int(round(f * scale * pad))
        gains.append(np.max(spectrum[centre - 2 * pad: centre + 2 * pad + 1]))
    return frequencies, 20 * np.log10(np.maximum(np.array(gains), 1e-30) / 0.015)


def ripple(frequencies, gains):
    band = gains[frequencies <= 20000]
    return float(np.max(band) - np.min(band))


def minus_3db(frequencies, gains):
    below = np.nonzero(gains < -3)[0]
    if len(below) == 0:
        return None
    i = below[0]
    if i == 0:
        return float(frequencies[0])
    f0, f1, g0, g1 = frequencies[i - 1], frequencies[i], gains[i - 1], gains[i]
    return float(f0 + (f1 - f0) * (-3 - g0) / (g1 - g0))


def main():
    directory, results = sys.argv[1], sys.argv[2]
    speeds, allocations, restarts = {}, {}, {}
    for line in open(results):
        fields = dict(re.findall(r"([\w-]+)=(\S+)", line))
        key = (fields.get("converter"), int(fields.get("from", 0)), int(fields.get("to", 0)))
        if line.startswith("speed "):
            speeds.setdefault(key, []).append(float(fields["mframes"]))
        elif line.startswith("allocations "):
            allocations[key] = int(fields["count"]) / int(fields["periods"])
            restarts[key] = (int(fields["reset"]), int(fields["after-reset"]), int(fields["drain"]))
    speeds = {key: float(np.median(values)) for key, values in speeds.items()}
    figures = {}
    for source, target in CONVERSIONS:
        print(f"\n### {source} Hz -> {target} Hz\n")
        print("| converter | THD+N (dB) | aliasing (dB) | ripple to 20 kHz (dB) | -3 dB (Hz) | pitch (ppm) | M frames/s | allocations/period |")
        print("|---|---|---|---|---|---|---|---|")
        reference = load(directory, "input", source, target, "sweep")
        for name in ORDER:
            try:
                sine = load(directory, name, source, target, "sine")
            except FileNotFoundError:
                continue
            frequency = tone_frequency(sine, target)
            scale = frequency / 1000 if abs(frequency / 1000 - 1) > 2e-6 else 1.0
            f = {
                "pitch": (scale - 1) * 1e6,
                "thdn": thd_n(sine, target, frequency),
                "alias": aliasing(load(directory, name, source, target, "sweep"), source, target, reference),
            }
            frequencies, gains = response(load(directory, name, source, target, "multitone"), source, target, scale)
            f["ripple"] = ripple(frequencies, gains)
            f["f3"] = minus_3db(frequencies, gains)
            f["speed"] = speeds.get((name, source, target))
            f["allocations"] = allocations.get((name, source, target))
            figures[(name, source, target)] = f
            f3 = f"{f['f3']:.0f}" if f["f3"] is not None else f"> {frequencies[-1]}"
            speed = f"{f['speed']:.2f}" if f["speed"] is not None else "-"
            allocs = f"{f['allocations']:.3f}" if f["allocations"] is not None else "-"
            print(f"| {name} | {f['thdn']:.1f} | {f['alias']:.1f} | {f['ripple']:.4f} | {f3} | {f['pitch']:.0f} | {speed} | {allocs} |")

    print("\n### Goals\n")
    print("| goal | conversion | figures | verdict |")
    print("|---|---|---|---|")

    def verdict(ok):
        return "met" if ok else "NOT met"

    for source, target in CONVERSIONS:
        ours, hq = figures[("alsaswift-standard", source, target)], figures[("soxr-hq", source, target)]
        # At least soxr HQ on every quality figure: lower THD+N and aliasing, ripple no larger,
        # -3 dB point no lower (tolerances: 0.5 dB, 0.001 dB, 10 Hz, the measurement's own).
        f3o, f3h = ours["f3"] or 1e9, hq["f3"] or 1e9
        quality = (ours["thdn"] <= hq["thdn"] + 0.5 and ours["alias"] <= hq["alias"] + 0.5
                   and ours["ripple"] <= hq["ripple"] + 0.001 and f3o >= f3h - 10)
        print(f"| standard >= soxr HQ on every quality figure | {source}->{target} | THD+N {ours['thdn']:.1f}/{hq['thdn']:.1f}, "
              f"aliasing {ours['alias']:.1f}/{hq['alias']:.1f}, ripple {ours['ripple']:.4f}/{hq['ripple']:.4f} | {verdict(quality)} |")
        print(f"| standard at soxr HQ's speed or better | {source}->{target} | {ours['speed']:.2f} / {hq['speed']:.2f} M frames/s "
              f"(wrapper overhead {100 * (hq['speed'] / ours['speed'] - 1):+.1f} %) | {verdict(ours['speed'] >= hq['speed'])} |")
        fast, speex = figures[("alsaswift-fast", source, target)], figures[("speexdsp-5", source, target)]
        better = fast["thdn"] < speex["thdn"] and fast["alias"] < speex["alias"] and fast["speed"] > speex["speed"]
        print(f"| fast beats speexdsp 5 on quality and speed | {source}->{target} | THD+N {fast['thdn']:.1f}/{speex['thdn']:.1f}, "
              f"aliasing {fast['alias']:.1f}/{speex['alias']:.1f}, {fast['speed']:.2f}/{speex['speed']:.2f} M frames/s | {verdict(better)} |")
        linear = figures[("alsa-lib-linear", source, target)]
        far = ours["thdn"] < linear["thdn"] - 40 and ours["alias"] < linear["alias"] - 40
        print(f"| standard far (40 dB) above alsa-lib's linear rate | {source}->{target} | THD+N {ours['thdn']:.1f}/{linear['thdn']:.1f}, "
              f"aliasing {ours['alias']:.1f}/{linear['alias']:.1f} | {verdict(far)} |")
    counts = [v for (name, _, _), v in allocations.items() if name.startswith("alsaswift")]
    if counts:
        worst = max(allocations, key=lambda k: allocations[k] if k[0].startswith("alsaswift") else -1)
        print(f"| 0 allocations per period (render-like loop from creation, every level and conversion) | all | "
              f"most: {allocations[worst] * 20000:.0f} in 20000 periods ({worst[0]}, {worst[1]}->{worst[2]}) | {verdict(max(counts) == 0)} |")
        worst = [max(v[i] for v in restarts.values()) for i in range(3)]
        # reset() itself may grow soxr's FIFOs (documented: not in a render callback); what follows must not.
        print(f"| 0 allocations in the periods after reset() and in drain (reset itself may allocate) | all | "
              f"{worst[1]} in the periods after a reset, {worst[2]} in a drain (at most {worst[0]} in the reset) | "
              f"{verdict(max(worst[1], worst[2]) == 0)} |")
    else:
        print("| 0 allocations per period | all | no count (MallocCount not preloaded) | ERROR |")


main()
