"""Speed of `ProcessingModule` and of one `drift.search` step, against the torch port's forward, in one run.

    python benchmarks/learned_processing.py [--json benchmarks/learned_processing.json]

On 64 random 256 x 256 mosaics (uint16 values of a dim capture), for two pipelines (the one the authors'
learned processing ports, and the costliest, Menon 2007 with unsharp masking and the median):
- the port's forward alone, `process(raw, pipeline)` (no gradients);
- the module's forward and backward with every number learned (`learn="all"`), a loss on its output;
- one `drift.search` step on a batch of 16, the model included: a small CNN classifier (two 3x3
  convolutions of 8 channels and a linear head), all numbers searched, L2 and SSIM penalties. The step's cost
  is the difference of a search of 11 steps and one of 1 step, divided by 10 (setting up, the evaluation of
  the report images and the bootstrap cancel out).
On the CPU, and on a GPU when one is present. Each time is the best of three runs.
"""

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import datasets
import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lens2logit import ProcessingModule, drift, process  # noqa: E402

PIPELINES = ("bilinear-sharpening_filter-gaussian_denoising", "menon2007-unsharp_masking-median_denoising")
BATCH, SEARCH_BATCH, SIDE, RUNS = 64, 16, 256, 3


def best(run) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def forward_backward(module: ProcessingModule, raw: torch.Tensor) -> None:
    module.zero_grad()
    module(raw).square().mean().backward()


def classifier() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(8, 8, 3, padding=1, stride=2),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(8, 9),
    )


def split_of(mosaics: np.ndarray) -> datasets.Dataset:
    """A microscopy-like split (9 classes, one intensity) of the mosaics."""
    features = datasets.Features(
        {
            "image_id": datasets.Value("string"),
            "label": datasets.ClassLabel(names=[f"class{k}" for k in range(9)]),
            "intensity": datasets.Value("float64"),
            "raw": datasets.Array2D((SIDE, SIDE), "uint16"),
        }
    )
    rows = {
        "image_id": [f"image-{i:03d}" for i in range(len(mosaics))],
        "label": [i % 9 for i in range(len(mosaics))],
        "intensity": [1.0] * len(mosaics),
        "raw": list(mosaics),
    }
    return datasets.Dataset.from_dict(rows, features=features)


def search_step(model, split, pipeline: str, penalty: str, device: str) -> float:
    """Seconds a `drift.search` step costs: (11 steps - 1 step) / 10."""
    options = {"parameters": "all", "penalty": penalty, "batch_size": SEARCH_BATCH, "resamples": 10,
               "progress": False, "device": device}  # fmt: skip
    one = best(lambda: drift.search(model, split, pipeline, steps=1, **options))
    eleven = best(lambda: drift.search(model, split, pipeline, steps=11, **options))
    return (eleven - one) / 10


def measure(device: str, raw: torch.Tensor, split) -> dict:
    raw = raw.to(device)
    results = {}
    for pipeline in PIPELINES:
        module = ProcessingModule(pipeline, camera="microscopy", learn="all").to(device)
        with torch.no_grad():
            port = best(lambda p=pipeline: process(raw, p, camera="microscopy"))
        both = best(lambda m=module: forward_backward(m, raw))
        results[pipeline] = {
            "port_forward_s": port,
            "module_forward_backward_s": both,
            "ratio": both / port,
            "search_step_s": {
                penalty: search_step(classifier(), split, pipeline, penalty, device) for penalty in ("l2", "ssim")
            },
        }
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=REPO / "benchmarks" / "learned_processing.json")
    args = parser.parse_args(argv)
    mosaics = np.random.default_rng(0).integers(600, 6000, (BATCH, SIDE, SIDE)).astype(np.uint16)
    raw = torch.from_numpy(mosaics.astype(np.int32))
    split = split_of(mosaics)
    results = {"batch": BATCH, "search_batch": SEARCH_BATCH, "side": SIDE, "cpu": measure("cpu", raw, split)}
    if torch.cuda.is_available():
        results["cuda"] = measure("cuda", raw, split)
    results["machine"] = f"{platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}"
    args.json.write_text(json.dumps(results, indent=1) + "\n")
    lines = [f"{BATCH} mosaics of {SIDE} x {SIDE} on {results['machine']}"]
    for device in ("cpu", "cuda"):
        for pipeline, found in results.get(device, {}).items():
            steps = ", ".join(f"{penalty} {seconds:.2f} s" for penalty, seconds in found["search_step_s"].items())
            lines.append(
                f"{device} {pipeline}: port forward {found['port_forward_s']:.3f} s, module forward + backward "
                f"{found['module_forward_backward_s']:.3f} s ({found['ratio']:.2f}x); a search step of "
                f"{SEARCH_BATCH}: {steps}"
            )
    if "cuda" not in results:
        lines.append("no GPU on this machine: the GPU rows are left out")
    print("\n".join(lines))  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
