#!/usr/bin/env python3
"""Times commands side by side: median wall and CPU seconds and peak memory
over N runs, and each tool's ratio to the first one.

usage: timeit.py RUNS NAME=COMMAND [NAME=COMMAND ...]
Commands run through the shell; their output is discarded.
"""
import os
import resource
import statistics
import subprocess
import sys
import time


def run_once(command):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    pid = subprocess.Popen(command, shell=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(pid.pid, 0)
    wall = time.perf_counter() - start
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status)


def main():
    runs = int(sys.argv[1])
    tools = [arg.split("=", 1) for arg in sys.argv[2:]]
    results = []
    for name, command in tools:
        run_once(command)  # warm the page cache and the binary
        samples = [run_once(command) for _ in range(runs)]
        wall = statistics.median(s[0] for s in samples)
        cpu = statistics.median(s[1] for s in samples)
        rss = max(s[2] for s in samples)
        results.append((name, wall, cpu, rss, samples[-1][3]))
    base = results[0][1]
    print(f"{'tool':<14} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9} {'exit':>5} {'vs ' + results[0][0]:>14}")
    for name, wall, cpu, rss, code in results:
        print(f"{name:<14} {wall:>8.3f} {cpu:>8.3f} {rss:>9.1f} {code:>5} {wall / base:>13.2f}x")


if __name__ == "__main__":
    main()
