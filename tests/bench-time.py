#!/usr/bin/python3
"""Time a shell command: best wall-clock of N runs and its peak memory.

usage: bench-time.py N cold|warm COMMAND
prints "BEST_MS PEAK_KB": the fastest run in milliseconds and the
largest resident set of any process the command ran (ru_maxrss of the
children, which for a pipeline is its largest member).  cold drops the
page cache before each run when allowed (root), else it is the same as
warm.
"""
import resource
import subprocess
import sys
import time


def drop_caches():
    try:
        subprocess.run(["sync"], check=False)
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def main():
    n, mode, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    best = None
    peak = 0
    for _ in range(n):
        if mode == "cold":
            drop_caches()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        subprocess.run(cmd, shell=True, check=True,
                       stdout=subprocess.DEVNULL)
        ms = (time.perf_counter() - t0) * 1000
        peak = max(peak, resource.getrusage(
            resource.RUSAGE_CHILDREN).ru_maxrss, before)
        best = ms if best is None else min(best, ms)
    print("%.1f %d" % (best, peak))


main()
