"""Speed and memory of `drift.evaluate`, against processing alone and against the loop a user writes, in one run.

    python benchmarks/drift.py [--work /tmp/lens2logit-bench] [--json benchmarks/drift.json]

On the microscopy test split of the bundled sample (written and converted once under --work), over all
84 conditions (7 intensities x 12 pipelines), with small models (a linear layer on the channel means), so
that what is timed is reading, processing, metrics and the bootstrap:
- floor: the split's raw rows already in memory, processed batch by batch by the torch port, no model;
- evaluate with one model, and with 12 models in one call (1,000 bootstrap resamples, the default);
- the naive loop: per condition, `split.filter` to the intensity, `pixels(..., pipeline=)` batches, the model,
  then scikit-learn's accuracy (one metric and no interval, so it does less than evaluate);
- peak resident memory of evaluate in a child process, at batch sizes 8, 32 and 128;
- on a GPU when one is present, conditions a second with device="cuda".
Each time is the best of three runs.
"""

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import datasets
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _lens2logit.package.convert import convert  # noqa: E402
from _lens2logit.sample.writer import write_sample  # noqa: E402
from lens2logit import PIPELINES, drift, pixels, process  # noqa: E402

INTENSITIES = (0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 1.00)
BATCH = 32
RUNS = 3


class Linear(torch.nn.Module):
    """9 logits from the 3 channel means."""

    def __init__(self, seed: int):
        super().__init__()
        torch.manual_seed(seed)
        self.layer = torch.nn.Linear(3, 9)

    def forward(self, rgb):
        return self.layer(rgb.mean((2, 3)))


def package(work: Path) -> Path:
    archive, out = work / "drift-archive", work / "drift-package"
    if not out.exists():
        write_sample(archive)
        convert(archive, out, progress=False)
    return out


def best(run) -> float:
    seconds = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    return min(seconds)


def floor(split) -> float:
    batches = list(pixels(split, "torch", columns=["intensity"]).iter(BATCH))

    def run():
        for batch in batches:
            for intensity in INTENSITIES:
                here = batch["intensity"] == intensity
                if here.any():
                    for pipeline in PIPELINES:
                        process(batch["raw"][here], pipeline, "microscopy")

    return best(run)


def naive(split, model) -> float:
    from sklearn.metrics import accuracy_score

    def run():
        with torch.no_grad():
            for intensity in INTENSITIES:
                rows = split.filter(lambda value, at=intensity: value == at, input_columns=["intensity"])
                for pipeline in PIPELINES:
                    truth, predicted = [], []
                    for batch in pixels(rows, "torch", pipeline=pipeline, columns=["label"]).iter(BATCH):
                        keep = batch["label"] >= 0
                        predicted += model(batch["rgb"][keep]).argmax(1).tolist()
                        truth += batch["label"][keep].tolist()
                    accuracy_score(truth, predicted)

    return best(run)


def peak_memory(path: Path, batch_size: int) -> dict:
    """MiB of peak resident memory of a child process that loads the split and evaluates one model: before the
    evaluation (imports and the loaded split) and after it."""
    code = (
        "import sys, resource, datasets; sys.path.insert(0, sys.argv[1]); "
        "from drift import Linear; from lens2logit import PIPELINES, drift; "
        "split = datasets.load_dataset(sys.argv[2], 'microscopy', split='test'); "
        "drift.evaluate(Linear(0), split, intensities=[1.0], pipelines=[PIPELINES[0]], batch_size=1, "
        "progress=False); "
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; "
        "drift.evaluate(Linear(0), split, batch_size=int(sys.argv[3]), progress=False); "
        "print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    here = str(Path(__file__).resolve().parent)
    out = subprocess.run([sys.executable, "-c", code, here, str(path), str(batch_size)], capture_output=True,
                         text=True, check=True, timeout=900).stdout.split()  # fmt: skip
    before, after = int(out[-2]) / 1024, int(out[-1]) / 1024
    return {"before": before, "peak": after, "growth": after - before}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/lens2logit-bench"))
    parser.add_argument("--json", type=Path, default=REPO / "benchmarks" / "drift.json")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    path = package(args.work)
    split = datasets.load_dataset(str(path), "microscopy", split="test")
    one, twelve = Linear(0), {f"m{k}": Linear(k) for k in range(12)}
    options = {"batch_size": BATCH, "progress": False}
    results = {
        "images": len(set(split["image_id"])),
        "conditions": len(INTENSITIES) * len(PIPELINES),
        "floor_s": floor(split),
        "evaluate_1_s": best(lambda: drift.evaluate(one, split, **options)),
        "evaluate_12_s": best(lambda: drift.evaluate(twelve, split, **options)),
        "naive_1_s": naive(split, one),
        "rss_mib": {size: peak_memory(path, size) for size in (8, 32, 128)},
    }
    results["overhead"] = results["evaluate_1_s"] / results["floor_s"] - 1
    results["12_vs_1"] = results["evaluate_12_s"] / results["evaluate_1_s"]
    results["naive_vs_evaluate"] = results["naive_1_s"] / results["evaluate_1_s"]
    if torch.cuda.is_available():
        seconds = best(lambda: drift.evaluate(one, split, device="cuda", **options))
        results["cuda_conditions_per_s"] = results["conditions"] / seconds
    results["machine"] = f"{platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}"
    args.json.write_text(json.dumps(results, indent=1) + "\n")
    lines = [
        f"{results['images']} images x {results['conditions']} conditions on {results['machine']}",
        f"processing alone (the floor):    {results['floor_s']:.2f} s",
        f"evaluate, 1 model:               {results['evaluate_1_s']:.2f} s ({results['overhead']:+.0%} over the floor)",
        f"evaluate, 12 models in one call: {results['evaluate_12_s']:.2f} s ({results['12_vs_1']:.2f}x one model)",
        f"the naive loop, 1 model:         {results['naive_1_s']:.2f} s ({results['naive_vs_evaluate']:.2f}x evaluate)",
        "peak RSS growth over a warmed-up process, by batch size: "
        + ", ".join(
            f"{size}: +{mib['growth']:.0f} MiB (of {mib['peak']:.0f})" for size, mib in results["rss_mib"].items()
        ),
    ]
    if "cuda_conditions_per_s" in results:
        lines.append(f"cuda: {results['cuda_conditions_per_s']:.1f} conditions/s")
    print("\n".join(lines))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
