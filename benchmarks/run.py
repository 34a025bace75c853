"""Benchmarks at full size against baselines measured in the same run; prints a table, writes JSON.

    python benchmarks/run.py [--work /tmp/lens2logit-bench] [--scales 0.32 1.0] [--json results.json]
    python benchmarks/run.py --readme   # only rewrite docs/reading.md's table from the JSON


For each scale (1.0 = the real counts: 940 microscopy images, 12 full 3648x5472 drone frames and
their ~548 tiles, every intensity and view) a synthetic archive is written once under --work and
reused. Measured, each against its baseline:
- convert: wall time, MB/s, peak RSS, and rows and seconds per config (`drone_classification`
  shown); baseline: decoding every source file (tifffile/Pillow/LibRaw).
- load: `load_dataset` cold (Arrow cache build); iteration over the raw rows of microscopy train
  with `pixels` (numpy uint16, each batch's bytes read once: a batch within one Arrow chunk is a
  view, copied into a buffer, one across chunks is already a copy; torch int32) in batches of 100,
  best of three passes; `loader` (batches of 100, in order and shuffled, in process and with 2
  persistent workers, 5 epochs timed after a first one), and with `pipeline=` (timed after the
  first batch); baselines: tifffile on the loose TIFFs of the same rows, in process and through a
  plain torch Dataset and DataLoader with 2 workers, and copying the same bytes in memory (memcpy).
- streaming the same raw rows (the first 2,000, or all when fewer) from the local package and over
  HTTP from a local Hub-compatible server, loaded with `columns=` (once also without, and over HTTP
  also reading ahead): `pixels(...).iter(100)` in one process, `loader` with 2 workers, and (local)
  a plain DataLoader with 2 workers row by row; rows/s after the first batch, and the seconds from
  `load_dataset` to it, each the best of three runs; baselines: pyarrow decoding the same rows from
  the local shards in one thread (the floor), and `webdataset` streaming the same tiles as `.npy` in
  tar shards from the same kind of server, in one process and with 2 workers; bytes a row each
  downloads.
- selective read with `filters=`: bytes read vs a full load.
- size: package bytes vs archive bytes.
Heavy steps run in subprocesses, so peak RSS and cold caches are per step.
"""

import argparse
import io
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import tifffile
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the Hub-compatible test server

from children import CONVERT, DECODE_FLOOR, LOAD, SELECTIVE, STREAM, TIFF_LOADER, WEBDATASET  # noqa: E402
from hub_server import HubServer  # noqa: E402
from table import table, write_readme_table  # noqa: E402

from _lens2logit import images  # noqa: E402
from _lens2logit.sample.writer import write_sample  # noqa: E402

RAW_TILE_BYTES = 256 * 256 * 2
STREAM_ROWS = 2000  # raw rows streamed (and decoded for the floor)
STREAM_PASSES = 3  # each stream (and the floor) in as many fresh processes: the best rate of those


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def archive_for(work: Path, scale: float) -> Path:
    archive = work / f"archive-{scale}"
    if not archive.exists():
        write_sample(archive, images=max(45, round(940 * scale)), frames=max(2, round(12 * scale)), full_size=True)
    return archive


def decode_all(archive: Path) -> dict:
    """Baseline: decode every image file of the archive once, as plainly as possible."""
    start, total = time.perf_counter(), 0
    for path in sorted(archive.rglob("*")):
        suffix = path.suffix.lower()
        if suffix in (".tif", ".tiff"):
            tifffile.imread(path)
        elif suffix == ".png":
            np.asarray(Image.open(path))
        elif suffix == ".dng":
            images.decode_dng(path.read_bytes(), str(path))
        else:
            continue
        total += path.stat().st_size
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "mb_per_s": total / 2**20 / seconds, "bytes": total}


def run_child(code: str, *args: str, env: dict | None = None) -> tuple[dict, float, int]:
    """Run `code` in a fresh interpreter; (its last line as JSON, wall seconds, its peak RSS in MiB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        command = ["/usr/bin/time", "-f", "%M", "-o", rss.name, sys.executable, "-c", code, *args]
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=3600)
        seconds = time.perf_counter() - start
        if result.returncode != 0:
            raise RuntimeError(result.stderr[-3000:])
        peak_kib = int(rss.read().split()[-1])
    lines = result.stdout.strip().splitlines()
    return (json.loads(lines[-1]) if lines else {}), seconds, peak_kib // 1024


def raw_rows(package: Path, rows: int):
    """(raw, label) of the first `rows` raw rows of microscopy train in package order: what the stream reads."""
    seen = 0
    for shard in raw_shards(package)[0]:
        for batch in pq.ParquetFile(shard).iter_batches(batch_size=100, columns=["raw", "label"]):
            raw = batch.column("raw")  # an Array2D extension array once `datasets` is imported
            raw = raw.storage if isinstance(raw, pa.ExtensionArray) else raw
            tiles = raw.flatten().flatten().to_numpy().reshape(-1, 256, 256)
            for tile, label in zip(tiles, batch.column("label").to_pylist(), strict=True):
                yield tile, label
                seen += 1
                if seen == rows:
                    return


def write_webdataset(package: Path, folder: Path, rows: int, per_shard: int = 500) -> tuple[list[str], int]:
    """The same raw rows as WebDataset tar shards (`NNNNNN.npy` tile, `NNNNNN.cls` label), the format users
    pick for streaming; the shard names and the rows written."""
    folder.mkdir(parents=True, exist_ok=True)
    names, archive, written = [], None, 0
    for number, (tile, label) in enumerate(raw_rows(package, rows)):
        written += 1
        if number % per_shard == 0:
            if archive is not None:
                archive.close()
            names.append(f"shard-{number // per_shard:06d}.tar")
            archive = tarfile.open(folder / names[-1], "w")
        npy = io.BytesIO()
        np.save(npy, tile)
        for suffix, data in (("npy", npy.getvalue()), ("cls", str(label).encode())):
            info = tarfile.TarInfo(f"{number:06d}.{suffix}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    if archive is not None:
        archive.close()
    return names, written


def loose_tiff_paths(archive: Path, image_ids: list[str], intensities: list[float]) -> list[Path]:
    """The archive's TIFFs of the given raw rows."""
    return [
        archive / "microscopy/images" / f"raw_scale{round(100 * i):03d}" / f"{image_id}.tiff"
        for image_id, i in zip(image_ids, intensities, strict=True)
    ]


def loose_tiff_baseline(paths: list[Path]) -> float:
    """Seconds for tifffile to read the same raw rows from the loose files (warm page cache)."""
    for path in paths:  # warm the page cache, as the package's files are warm after its cold load
        path.read_bytes()
    start = time.perf_counter()
    for path in paths:
        tifffile.imread(path)
    return time.perf_counter() - start


def memcpy_seconds(rows: int, passes: int = 3) -> float:
    """Seconds to copy `rows` raw tiles' bytes, batch by batch from a buffer as large as the data
    (so it is not served from the CPU caches): the memory-bandwidth limit of the iteration; the best
    of `passes`, as for the iteration it is compared with."""
    source = np.ones((rows, 256, 256), dtype=np.uint16)
    target = np.empty((100, 256, 256), dtype=np.uint16)
    seconds = []
    for _ in range(passes):
        start = time.perf_counter()
        for first in range(0, rows, 100):
            batch = source[first : first + 100]
            np.copyto(target[: len(batch)], batch)
        seconds.append(time.perf_counter() - start)
    return min(seconds)


def bench_scale(work: Path, scale: float) -> dict:
    archive = archive_for(work, scale)
    package = work / f"package-{scale}"
    result = {"scale": scale, "archive_mib": folder_bytes(archive) / 2**20}
    result["decode"] = decode_all(archive)
    configs, seconds, peak = run_child(CONVERT, str(archive), str(package))
    result["convert"] = {
        "configs": configs,  # rows and seconds (indexing and writing) per config
        "seconds": seconds,
        "mb_per_s": result["decode"]["bytes"] / 2**20 / seconds,
        "peak_rss_mib": peak,
        "vs_decode": seconds / result["decode"]["seconds"],
    }
    result["package_mib"] = folder_bytes(package) / 2**20
    load, _, _ = run_child(LOAD, str(package), str(work / f"cache-{scale}-{time.time_ns()}"))
    rows = load["rows"]
    paths = loose_tiff_paths(archive, load.pop("image_ids"), load.pop("intensities"))
    tiff = loose_tiff_baseline(paths)
    memcpy = memcpy_seconds(rows)
    result["load"] = {
        "cold_seconds": load["cold_seconds"],
        "raw_rows": rows,
        "numpy_rows_per_s": rows / load["numpy_seconds"],
        "numpy_mb_per_s": rows * RAW_TILE_BYTES / 2**20 / load["numpy_seconds"],
        "torch_rows_per_s": rows / load["torch_seconds"],
        **{
            f"loader_{order}_{workers}_rows_per_s": rows / load[f"loader_{order}_{workers}_seconds"]
            for order in ("sequential", "shuffled")
            for workers in (0, 2)
        },
        "pipeline_0_rows_per_s": load["pipeline_0_rows_per_s"],
        "pipeline_2_rows_per_s": load["pipeline_2_rows_per_s"],
        "tifffile_rows_per_s": rows / tiff,
        "tiff_loader_2_rows_per_s": tiff_loader_rate(work, paths),
        "memcpy_mb_per_s": rows * RAW_TILE_BYTES / 2**20 / memcpy,
    }
    result["stream"] = bench_stream(work, scale, package)
    selective, _, _ = run_child(SELECTIVE, str(package), str(work / f"selective-{time.time_ns()}"))
    result["selective_read"] = {name: count / selective["all"] for name, count in selective.items()}
    return result


def tiff_loader_rate(work: Path, paths: list[Path]) -> float:
    """Rows/s of the loose TIFFs through a plain torch Dataset and DataLoader with 2 workers."""
    listing = work / "tiff-paths.json"
    listing.write_text(json.dumps([str(path) for path in paths]))
    tiffs, _, _ = run_child(TIFF_LOADER, str(listing))
    return tiffs["rows"] / tiffs["seconds"]


def stream_rate(code: str, *args: str, env: dict | None = None) -> dict:
    """Rows/s of a streaming child (after its first batch), the best of STREAM_PASSES runs, and the longest
    time to a first batch of those runs."""
    runs = [run_child(code, *args, env=env)[0] for _ in range(STREAM_PASSES)]
    return {
        "rows_per_s": max(run["rows"] / run["seconds"] for run in runs),
        "first_seconds": max(run["first_row_seconds"] for run in runs),
    }


def raw_shards(package: Path) -> tuple[list[Path], int]:
    """The microscopy train raw shards, and their rows."""
    shards = sorted((package / "microscopy/train").glob("*-raw_scale*.parquet"))
    return shards, sum(pq.ParquetFile(shard).metadata.num_rows for shard in shards)


def raw_bytes_per_row(package: Path) -> float:
    """Stored bytes of the microscopy train raw shards per raw row: what a stream of them downloads."""
    shards, rows = raw_shards(package)
    return sum(shard.stat().st_size for shard in shards) / rows


def bench_stream(work: Path, scale: float, package: Path) -> dict:
    """Streaming raw microscopy train rows: from the local package and over HTTP from a local Hub-compatible
    server, in one process (`pixels(...).iter(100)`), through `loader` with 2 workers, and row by row through
    a plain DataLoader with 2 workers (local); baselines: pyarrow's one-thread decoding of the same rows (the
    floor), and WebDataset's `.npy` tar shards of the same tiles from the same kind of server."""
    wanted = str(min(STREAM_ROWS, raw_shards(package)[1]))  # streams stop at the last raw row, as the floor does
    result = {way: stream_rate(STREAM, str(package), way, wanted, "needed") for way in ("iter", "loader", "rows")}
    result["loader_all_columns"] = stream_rate(STREAM, str(package), "loader", wanted, "all")
    result["decode_floor_rows_per_s"] = stream_rate(DECODE_FLOOR, str(package), wanted)["rows_per_s"]
    with HubServer("bench/lens2logit", package) as hub:
        env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_HOME": str(work / f"home-{time.time_ns()}"),
               "HF_HUB_OFFLINE": "0", "HF_DATASETS_OFFLINE": "0", "HF_HUB_DISABLE_TELEMETRY": "1"}  # fmt: skip
        for way in ("iter", "loader"):
            for read, name in (("needed", f"http_{way}"), ("prefetch", f"http_{way}_prefetch")):
                result[name] = stream_rate(STREAM, "bench/lens2logit", way, wanted, read, env=env)
    folder = work / f"webdataset-{scale}"
    shards, written = write_webdataset(package, folder, STREAM_ROWS)
    with HubServer("bench/webdataset", folder) as server:
        urls = " ".join(f"{server.url}/datasets/bench/webdataset/resolve/main/{name}" for name in shards)
        for way in ("iter", "loader"):
            result[f"webdataset_{way}"] = stream_rate(WEBDATASET, urls, way, wanted)
    result["bytes_per_row"] = {
        "package": raw_bytes_per_row(package),
        "webdataset": sum((folder / name).stat().st_size for name in shards) / written,
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("/tmp/lens2logit-bench"), help="archives and packages")
    parser.add_argument("--scales", type=float, nargs="+", default=[0.32, 1.0], help="1.0 = the real counts")
    parser.add_argument("--json", type=Path, default=REPO / "benchmarks/results.json")
    parser.add_argument("--readme", action="store_true", help="only rewrite docs/reading.md's table from --json")
    args = parser.parse_args()
    if not args.readme:
        args.work.mkdir(parents=True, exist_ok=True)
        results = [bench_scale(args.work, scale) for scale in args.scales]
        machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        args.json.write_text(json.dumps({"machine": machine, "results": results}, indent=2) + "\n")
    measured = json.loads(args.json.read_text())
    write_readme_table(table(measured["results"]))
    print(f"{measured['machine']}\n\n{table(measured['results'])}")  # noqa: T201


if __name__ == "__main__":
    main()
