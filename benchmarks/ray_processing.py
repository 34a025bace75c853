"""One pipeline over every raw row of a config: Ray Data (the snippet of docs/other-tools.md) against a plain loop over
`pixels(..., pipeline=...)`, on the same rows, in one run.

    python benchmarks/ray_processing.py [--work DIR] [--cpus 2] [--pipeline NAME] [--json FILE]

Both read the `microscopy` train split of a sample package (written once under --work), apply one pipeline
(default: that snippet's) to every raw row in torch batches of 32 and write the RGB results as Parquet
with ids, intensity and pipeline. Ray Data: `read_parquet`, `filter(expr=col("view") == 0)`,
`map_batches` calling `process`, `write_parquet`, with `ray.init(num_cpus=--cpus)` (its start-up is timed
apart). The loop: `load_dataset`, then `pixels(train, "torch", pipeline=...)` batch by batch in one process,
each batch written with pyarrow. Each figure is the best of two passes.
"""

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import ray
import torch
from ray.data.expressions import col

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _lens2logit.package.convert import convert  # noqa: E402
from _lens2logit.sample.writer import write_sample  # noqa: E402
from lens2logit import pixels, process  # noqa: E402

PIPELINE = "bilinear-sharpening_filter-gaussian_denoising"  # that snippet's; --pipeline to change
BATCH = 32
PASSES = 2


def package(work: Path) -> Path:
    out = work / "package-ray"
    if not out.exists():
        write_sample(work / "archive-ray", overwrite=True)
        convert(work / "archive-ray", out, progress=False)
    return out


def results_table(image_ids, intensities, pipeline: str, rgb: torch.Tensor) -> pa.Table:
    return pa.table(
        {
            "image_id": image_ids,
            "intensity": intensities,
            "pipeline": pa.array([pipeline] * len(image_ids)),
            "rgb": pa.FixedSizeListArray.from_arrays(pa.array(rgb.numpy().ravel()), 3 * 256 * 256),
        }
    )


def apply_pipeline(batch: pa.Table, pipeline: str) -> pa.Table:
    raw = batch["raw"].combine_chunks().flatten().flatten().to_numpy().reshape(-1, 256, 256)
    rgb = process(torch.from_numpy(raw.astype(np.int32)), pipeline, camera="microscopy")
    return results_table(batch["image_id"], batch["intensity"], pipeline, rgb)


def with_ray(train: Path, out: Path, pipeline: str) -> int:
    rows = ray.data.read_parquet(str(train), columns=["image_id", "intensity", "view", "raw"])
    raw_rows = rows.filter(expr=col("view") == 0)
    processed = raw_rows.map_batches(
        apply_pipeline, fn_kwargs={"pipeline": pipeline}, batch_format="pyarrow", batch_size=BATCH
    )
    processed.write_parquet(str(out))
    return pq.read_table(out).num_rows


def with_loop(train: Path, out: Path, pipeline: str) -> int:
    from datasets import load_dataset

    split = load_dataset(str(train.parents[1]), "microscopy", split="train")
    rows = pixels(split, "torch", pipeline=pipeline, columns=["image_id", "intensity"])
    out.mkdir()
    count = 0
    for number, batch in enumerate(rows.iter(BATCH)):
        table = results_table(batch["image_id"], batch["intensity"].numpy(), pipeline, batch["rgb"])
        pq.write_table(table, out / f"{number:05d}.parquet")
        count += table.num_rows
    return count


def best_seconds(run, train: Path, work: Path, pipeline: str) -> tuple[float, int]:
    seconds, rows = [], 0
    for _ in range(PASSES):
        out = work / "ray-out"
        shutil.rmtree(out, ignore_errors=True)
        start = time.perf_counter()
        rows = run(train, out, pipeline)
        seconds.append(time.perf_counter() - start)
    return min(seconds), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("/tmp/lens2logit-bench"), help="the sample package")
    parser.add_argument("--cpus", type=int, default=2, help="CPUs Ray may use (default 2)")
    parser.add_argument("--pipeline", default=PIPELINE, help=f"one of the twelve (default {PIPELINE})")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/ray_processing.json"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    train = package(args.work) / "microscopy" / "train"
    loop_seconds, loop_rows = best_seconds(with_loop, train, args.work, args.pipeline)
    start = time.perf_counter()
    ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
    startup = time.perf_counter() - start
    ray_seconds, ray_rows = best_seconds(with_ray, train, args.work, args.pipeline)
    if ray_rows != loop_rows:
        raise SystemExit(f"Ray wrote {ray_rows} rows, the loop {loop_rows}")
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"torch {torch.__version__}, ray {ray.__version__}",
        "pipeline": args.pipeline,
        "rows": loop_rows,
        "loop_rows_per_s": loop_rows / loop_seconds,
        "ray_rows_per_s": ray_rows / ray_seconds,
        "ray_over_loop": loop_seconds / ray_seconds,
        "ray_startup_s": startup,
    }
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(  # noqa: T201
        f"{result['machine']}\n{loop_rows} raw rows, {args.pipeline}, batches of {BATCH}\n"
        f"plain loop over pixels(..., pipeline=...): {result['loop_rows_per_s']:.1f} rows/s\n"
        f"Ray Data on {args.cpus} CPUs: {result['ray_rows_per_s']:.1f} rows/s "
        f"({result['ray_over_loop']:.2f}x the loop; ray.init {startup:.1f} s, not counted)"
    )


if __name__ == "__main__":
    main()
