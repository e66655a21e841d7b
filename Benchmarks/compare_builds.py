#!/usr/bin/env python3
"""Two or more jvplab builds side by side on one script: alternating fresh processes, medians of each.

usage: Benchmarks/compare_builds.py JVPLAB[,JVPLAB...] PROCESSES SCRIPT

SCRIPT prints the seconds of its own loop as its last line (as the cases of compare_python.py do). Each
process is `JVPLAB run SCRIPT --db FRESH.db`; for each build the median loop time (what the script printed)
and the median whole-process wall time (start-up, the store and, with a writer thread, its last runs
included) are reported, with the load average the runs saw.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[2])
    builds, processes, script = sys.argv[1].split(","), int(sys.argv[2]), sys.argv[3]
    samples = {build: [] for build in builds}
    with tempfile.TemporaryDirectory() as scratch:
        for k in range(processes):
            for n, build in enumerate(builds):
                database = os.path.join(scratch, f"{k}-{n}.db")
                start = time.perf_counter()
                output = subprocess.run([build, "run", script, "--db", database], check=True, capture_output=True,
                                        text=True).stdout
                samples[build].append((float(output.strip().splitlines()[-1]), time.perf_counter() - start))
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for build, runs in samples.items():
        loops = sorted(loop * 1e3 for loop, _ in runs)
        print(f"{build}: loop median {statistics.median(loops):.1f} ms ({loops[0]:.0f} … {loops[-1]:.0f}), "
              f"whole process median {statistics.median(wall for _, wall in runs) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
