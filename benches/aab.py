#!/usr/bin/env python3
"""A/A/B: two errlens builds on one log, the old one twice (two copies of the binary).

    benches/aab.py OLD NEW LOG [--rounds N] [-- REPORT-ARGS...]

Runs `BIN report --quiet REPORT-ARGS LOG > /dev/null` for OLD, NEW and OLD again, each from
a fresh copy of its file (a binary file can run slower than a copy of it), in
alternating order (reversed every other round), and prints the median and first quartile of
wall time and of CPU time (user + system, from wait4) for each, with NEW's change against
the mean of the two OLDs. The two OLDs differ only by noise: on a shared machine their
spread is the smallest change worth believing (2% is common here; a change whose code did
not change at all has "measured" -2% in plain A/B runs). Compare builds on one file only:
two files with the same bytes can read at very different costs (page-cache state; see
benches/compare.sh), so the log should be settled first, as compare.sh does.
"""

import os
import shutil
import statistics
import sys
import tempfile
import time


def usage():
    sys.exit(__doc__.strip().split("\n\n")[1])


def main():
    args = sys.argv[1:]
    extra = []
    if "--" in args:
        at = args.index("--")
        args, extra = args[:at], args[at + 1 :]
    rounds = 11
    if "--rounds" in args:
        at = args.index("--rounds")
        rounds = int(args[at + 1])
        del args[at : at + 2]
    if len(args) != 3:
        usage()
    old, new, log = args
    for path in (old, new, log):
        if not os.path.isfile(path):
            sys.exit(f"aab: no such file: {path}")
    with tempfile.TemporaryDirectory() as tmp:
        # Every build run from a fresh copy, written the same way: one file holding a build
        # ran 10% slower than a copy of it, for as long as it was kept.
        bins = []
        for name, path in (("old", old), ("new", new), ("old again", old)):
            copy = os.path.join(tmp, name.replace(" ", "-"))
            shutil.copy2(path, copy)
            bins.append((name, copy))
        times = {name: [] for name, _ in bins}
        devnull = os.open(os.devnull, os.O_WRONLY)
        for r in range(rounds):
            for name, path in bins if r % 2 == 0 else reversed(bins):
                start = time.perf_counter()
                pid = os.fork()
                if pid == 0:
                    os.dup2(devnull, 1)
                    try:
                        os.execv(path, [path, "report", "--quiet", *extra, log])
                    finally:
                        os._exit(127)
                _, status, usage_ = os.wait4(pid, 0)
                wall = time.perf_counter() - start
                if os.waitstatus_to_exitcode(status) != 0:
                    sys.exit(f"aab: {path} failed (status {status})")
                times[name].append((wall, usage_.ru_utime + usage_.ru_stime))

    def stats(name, k):
        xs = sorted(t[k] for t in times[name])
        return statistics.median(xs), xs[len(xs) // 4]

    print(f"{rounds} rounds, report --quiet {' '.join(extra)} {log}")
    print("| build | wall median | wall q1 | CPU median | CPU q1 |")
    print("|---|---|---|---|---|")
    for name, _ in bins:
        (wm, wq), (cm, cq) = stats(name, 0), stats(name, 1)
        print(f"| {name} | {wm:.3f} s | {wq:.3f} s | {cm:.3f} s | {cq:.3f} s |")
    for k, what in ((0, "wall"), (1, "CPU")):
        a, b, n = stats("old", k)[0], stats("old again", k)[0], stats("new", k)[0]
        base = (a + b) / 2
        print(
            f"{what}: new {100 * (n / base - 1):+.1f}% against the old builds' mean; "
            f"the two old builds differ by {100 * abs(a - b) / base:.1f}%"
        )


if __name__ == "__main__":
    main()
