#!/usr/bin/env python3
"""Runs a command and prints the CPU time it spent in a window of its steady state.

    cpu-window.py STATUS_GLOB LOG SKIP LENGTH -- COMMAND...

STATUS_GLOB names the kernel's status files of the device's substreams (for example
/proc/asound/card0/pcm0p/sub*/status); the command's output goes to LOG. The window opens SKIP
seconds after a substream first says "state: RUNNING" and closes LENGTH seconds later; the command
must still run then (give it SKIP + LENGTH seconds of audio and more). Prints one line,
"user=U sys=S oncpu=C sleeps=V seconds=W": the process's user and system time (all its threads,
from /proc/PID/stat, counted in clock ticks of 10 ms) used in the window; its time on a CPU in the
window (the sum of its threads' /proc/PID/task/TID/schedstat, counted in nanoseconds: a 10 s
window of a client using 20 ms a second holds only 20 ticks, so one tick would move a ratio of
two clients by 5 %); the times its threads went to sleep in the window (their voluntary context
switches: a poll that returns at once is no sleep); and the window's measured length. Start-up,
warm-up, drain and teardown are left out for every client alike: under the rig's emulation a
program's start-up takes seconds to tens of seconds and varies by more than a stream's whole
cost. Prints "user=x sys=x oncpu=x sleeps=x seconds=x" when the device never ran or the command
ended first. Always waits for the command.
"""
import glob
import os
import sys
import time

if len(sys.argv) < 7 or sys.argv[5] != "--":
    sys.exit(__doc__)
pattern, log, skip, length = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
command = sys.argv[6:]
ticks = os.sysconf("SC_CLK_TCK")


def running():
    for path in glob.glob(pattern):
        try:
            with open(path) as f:
                if "state: RUNNING" in f.read():
                    return True
        except OSError:
            pass
    return False


def cpu(pid):
    """utime and stime of the process (fields 14 and 15 of /proc/PID/stat), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        raise OSError("ended")
    return int(fields[11]) / ticks, int(fields[12]) / ticks


def oncpu(pid):
    """Seconds the process's threads have spent on a CPU (the first field of each thread's
    schedstat). A thread that ends inside the window takes its time with it; the clients measured
    here keep their threads for the whole run."""
    total = 0
    for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(path) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total / 1e9


def sleeps(pid):
    """Voluntary context switches of the process's threads: each is one sleep."""
    total = 0
    for path in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        total += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return total


def ended():
    return os.waitpid(child, os.WNOHANG)[0] != 0


with open(log, "wb") as out:
    child = os.fork()
    if child == 0:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)

result = "user=x sys=x oncpu=x sleeps=x seconds=x"
done = False
try:
    while not running():
        if ended():
            done = True
            raise OSError("never ran")
        time.sleep(0.005)
    time.sleep(skip)
    first, on_first, slept_first, opened = cpu(child), oncpu(child), sleeps(child), time.monotonic()
    time.sleep(length)
    last, on_last, slept_last, closed = cpu(child), oncpu(child), sleeps(child), time.monotonic()
    result = (f"user={last[0] - first[0]:.2f} sys={last[1] - first[1]:.2f} oncpu={on_last - on_first:.4f}"
              f" sleeps={slept_last - slept_first} seconds={closed - opened:.3f}")
except OSError:
    pass
if not done:
    os.waitpid(child, 0)
print(result)
