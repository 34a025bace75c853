"""Speed of the twelve pipelines: tiles/s per pipeline for the numpy reference and for torch, in one run.

    python benchmarks/processing.py [--work /tmp/lens2logit-bench] [--json benchmarks/processing.json]

Both through `lens2logit.process`, on the same 64 raw 256x256 microscopy tiles (full intensity) of a
synthetic sample archive written once under --work: the numpy reference one tile per call (as the
authors' loader runs it), torch on the CPU in one batch of 64 (float32, the threads torch uses by
default), and on a GPU when one is present. Each figure is the best of three passes.
"""

import argparse
import functools
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import tifffile
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _lens2logit.sample.writer import write_sample  # noqa: E402
from lens2logit import PIPELINES, process  # noqa: E402

BATCH = 64
PASSES = 3


def tiles(work: Path) -> np.ndarray:
    archive = work / "archive-processing"
    if not archive.exists():
        write_sample(archive, images=BATCH, frames=2)
    paths = sorted((archive / "microscopy" / "images" / "raw_scale100").glob("*.tiff"))[:BATCH]
    return np.stack([tifffile.imread(path) for path in paths])


def best_rate(run, count: int) -> float:
    """Tiles per second of the fastest of PASSES runs of `run` (which processes `count` tiles)."""
    seconds = []
    for _ in range(PASSES):
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    return count / min(seconds)


def run_numpy(processing, mosaics: np.ndarray) -> None:
    for mosaic in mosaics:
        processing(mosaic)


def run_torch(processing, batch: torch.Tensor) -> None:
    processing(batch)
    if batch.device.type == "cuda":
        torch.cuda.synchronize()


def measure(mosaics: np.ndarray) -> list[dict]:
    batch = torch.from_numpy(mosaics.astype(np.int32))
    devices = ["cpu"] + (["cuda"] * torch.cuda.is_available())
    rows = []
    for pipeline in PIPELINES:
        reference = functools.partial(process, pipeline=pipeline)
        row = {"pipeline": pipeline, "numpy": best_rate(functools.partial(run_numpy, reference, mosaics), len(mosaics))}
        for device in devices:
            on_device = batch.to(device)
            reference(on_device[:4])  # warm-up
            row[f"torch_{device}"] = best_rate(functools.partial(run_torch, reference, on_device), len(mosaics))
        rows.append(row)
        shown = ", ".join(f"{key} {value:,.0f}/s" for key, value in row.items() if key != "pipeline")
        print(f"{pipeline}: {shown}", flush=True)  # noqa: T201
    return rows


def table(result: dict) -> str:
    devices = [key for key in result["rows"][0] if key.startswith("torch_")]
    header = "| pipeline | numpy reference, tiles/s | " + " | ".join(
        f"{d.replace('_', ' ')} (batch {BATCH}), tiles/s | x numpy" for d in devices
    )
    lines = [header + " |", "|" + " --- |" * (2 + 2 * len(devices))]
    for row in result["rows"]:
        cells = [row["pipeline"], f"{row['numpy']:,.0f}"]
        for device in devices:
            cells += [f"{row[device]:,.0f}", f"{row[device] / row['numpy']:.1f}x"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("/tmp/lens2logit-bench"), help="the sample archive")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/processing.json"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads)",
        "rows": measure(tiles(args.work)),
    }
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{result['machine']}\n\n{table(result)}")  # noqa: T201


if __name__ == "__main__":
    main()
