"""`import lens2logit` against `import datasets` alone, each in a fresh interpreter, in one run.

    python benchmarks/import_time.py [--runs 7]

Each import is timed inside its own new process (the interpreter's start-up is not counted), best of
--runs. Target: `import lens2logit` at most 1.2x `import datasets` (which it needs); the processing,
training and plotting libraries load on first use.
"""

import argparse
import subprocess
import sys

TIMED = "import time; start = time.perf_counter(); import {module}; print(time.perf_counter() - start)"
TARGET = 1.2


def import_seconds(module: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        command = [sys.executable, "-c", TIMED.format(module=module)]
        times.append(float(subprocess.run(command, capture_output=True, text=True, check=True).stdout))
    return min(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    datasets_s = import_seconds("datasets", args.runs)
    ours_s = import_seconds("lens2logit", args.runs)
    ratio = ours_s / datasets_s
    verdict = "met" if ratio <= TARGET else "missed"
    print(  # noqa: T201
        f"import datasets {datasets_s:.3f} s, import lens2logit {ours_s:.3f} s: {ratio:.2f}x "
        f"(target {TARGET}x: {verdict}); best of {args.runs}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
