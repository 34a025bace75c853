"""The code `run.py` runs in fresh interpreters (`run_child`), one measurement each: its last line printed is
the result as JSON."""

CONVERT = """
import json, sys
from _lens2logit.package.convert import convert
report = convert(sys.argv[1], sys.argv[2], overwrite=True, progress=False)
rows = {name: sum(split.num_examples for split in info.splits.values()) for name, info in report.infos.items()}
print(json.dumps({name: {"rows": rows[name], "seconds": report.seconds[name]} for name in rows}))
"""

LOAD = """
import json, sys, time
import numpy as np, torch, datasets
from lens2logit import loader, pixels
package, cache = sys.argv[1:]
PASSES = 3  # short loops on a shared machine: the best of three
EPOCHS = 5  # epochs timed through `loader`, after a first one
PIPELINE = "bilinear-sharpening_filter-gaussian_denoising"  # the fastest of the twelve
start = time.perf_counter()
train = datasets.load_dataset(package, "microscopy", split="train", cache_dir=cache)
cold = time.perf_counter() - start
result = {"cold_seconds": cold}
buffer = np.empty((100, 256, 256), np.uint16)  # where a training step would take the pixels
for framework in ("numpy", "torch"):
    raw = pixels(train, framework, columns=["label"])  # raw + label, as training reads
    for batch in raw.iter(batch_size=100):  # warm the page cache, as for the loose files of the baseline
        pass
    passes = []
    for _ in range(PASSES):
        start = time.perf_counter()
        for batch in raw.iter(batch_size=100):
            assert batch["raw"].dtype == (np.uint16 if framework == "numpy" else torch.int32)
            if framework == "numpy" and not batch["raw"].flags.owndata:  # a view of the Arrow cache: read it
                np.copyto(buffer[: len(batch["raw"])], batch["raw"])  # (a batch across Arrow chunks is a copy)
        passes.append(time.perf_counter() - start)
    result[f"{framework}_seconds"] = min(passes)
result["rows"] = len(raw)
for order, shuffle in (("sequential", False), ("shuffled", True)):
    for workers in (0, 2):
        batches = loader(raw, batch_size=100, shuffle=shuffle, num_workers=workers, persistent_workers=workers > 0)
        assert sum(len(batch["raw"]) for batch in batches) == len(raw)  # first epoch: starts the workers
        start = time.perf_counter()
        for epoch in range(EPOCHS):
            for batch in batches:
                pass
        result[f"loader_{order}_{workers}_seconds"] = (time.perf_counter() - start) / EPOCHS
processed = pixels(train, "torch", columns=["label"], pipeline=PIPELINE)  # work added to every batch
for workers in (0, 2):
    batches = iter(loader(processed, batch_size=100, num_workers=workers))
    first = len(next(batches)["rgb"])  # timed after the first batch: the workers have started
    start = time.perf_counter()
    assert first + sum(len(batch["rgb"]) for batch in batches) == len(raw)
    result[f"pipeline_{workers}_rows_per_s"] = (len(raw) - first) / (time.perf_counter() - start)
ids = pixels(train, columns=["image_id", "intensity"])[:]
print(json.dumps(result | {"image_ids": ids["image_id"], "intensities": ids["intensity"].tolist()}))
"""

TIFF_LOADER = """
import json, sys, time
import tifffile, torch
from torch.utils.data import DataLoader, Dataset
paths = json.load(open(sys.argv[1]))

class LooseTiffs(Dataset):  # what users write for loose files: one file a row, torch's default collate
    def __len__(self):
        return len(paths)

    def __getitem__(self, i):
        return {"raw": torch.from_numpy(tifffile.imread(paths[i]).astype("int32"))}

batches = DataLoader(LooseTiffs(), batch_size=100, num_workers=2, persistent_workers=True)
assert sum(len(batch["raw"]) for batch in batches) == len(paths)  # first epoch: starts the workers, warms the cache
start = time.perf_counter()
for epoch in range(2):
    for batch in batches:
        pass
print(json.dumps({"rows": len(paths), "seconds": (time.perf_counter() - start) / 2}))
"""

STREAM = """
import json, os, sys, time
import datasets, pyarrow, pyarrow.dataset, torch
from lens2logit import loader, pixels, stream
source, way, rows_wanted, read = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
start = time.perf_counter()
options = {"columns": ["label", "view", "raw"]} if read != "all" else {}  # "needed": the columns read
if read == "prefetch":  # and pyarrow reading ahead, as `stream` has it
    ahead = pyarrow.CacheOptions(prefetch_limit=1, range_size_limit=128 << 20)
    options["fragment_scan_options"] = pyarrow.dataset.ParquetFragmentScanOptions(cache_options=ahead)
if read == "stream":  # `stream`: only the raw shards and the columns read, reading ahead
    streamed = stream(source, "microscopy", "train", columns=["label"])
else:  # the whole split
    streamed = datasets.load_dataset(source, "microscopy", split="train", streaming=True, **options)
rows = pixels(streamed, "torch" if way != "iter" else "numpy", columns=["label"])  # raw rows, exact values
if way == "iter":  # one process: batches of 100
    batches = rows.iter(100)
elif way == "loader":  # `loader`, 2 workers: whole batches
    batches = loader(rows, batch_size=100, num_workers=2)
else:  # a plain DataLoader, 2 workers: row by row
    batches = ({"raw": [row["raw"]]} for row in torch.utils.data.DataLoader(rows, batch_size=None, num_workers=2))
batches = iter(batches)
seen = first_rows = len(next(batches)["raw"])
first = time.perf_counter() - start  # from the stream's loading to the first batch
start = time.perf_counter()
for batch in batches:
    seen += len(batch["raw"])
    if seen >= rows_wanted:
        break
seconds = time.perf_counter() - start
result = {"first_row_seconds": first, "first_rows": first_rows, "rows": seen - first_rows, "seconds": seconds}
print(json.dumps(result), flush=True)
os._exit(0)  # the stream may be left early: interpreter exit can crash in pyarrow (apache/arrow#45214)
"""

DECODE_FLOOR = """
import json, sys, time
from pathlib import Path
import pyarrow.parquet as pq
package, rows_wanted = sys.argv[1], int(sys.argv[2])
shards = sorted((Path(package) / "microscopy/train").glob("*-raw_scale*.parquet"))
batches = (batch for shard in shards for batch in pq.ParquetFile(shard).iter_batches(100, columns=["raw", "label"]))
seen, opened, start = 0, time.perf_counter(), None
for batch in batches:
    batch.column("raw").flatten().flatten().to_numpy()  # no datasets: a plain list<list<uint16>>
    seen += len(batch)
    if start is None:  # timed after the first batch, as the streams are
        first, start = seen, time.perf_counter()
    if seen >= rows_wanted:
        break
print(json.dumps({"first_row_seconds": start - opened, "rows": seen - first, "seconds": time.perf_counter() - start}))
"""

WEBDATASET = """
import json, sys, time
import torch, webdataset as wds
urls, way, rows_wanted = sys.argv[1].split(), sys.argv[2], int(sys.argv[3])
start = time.perf_counter()
tiles = wds.WebDataset(urls, shardshuffle=False, workersplitter=wds.split_by_worker, empty_check=False)
tiles = tiles.decode().to_tuple("npy", "cls").batched(100)  # numpy uint16 tiles and labels, 100 at a time
if way == "iter":  # one process
    batches = iter(tiles)
else:  # 2 workers, whole batches
    batches = iter(torch.utils.data.DataLoader(tiles, batch_size=None, num_workers=2))
seen = first_rows = len(next(batches)[0])
first = time.perf_counter() - start
start = time.perf_counter()
for batch in batches:
    seen += len(batch[0])
    if seen >= rows_wanted:
        break
seconds = time.perf_counter() - start
print(json.dumps({"first_row_seconds": first, "first_rows": first_rows, "rows": seen - first_rows, "seconds": seconds}))
"""

SELECTIVE = """
import json, sys, datasets
def read_bytes():
    with open("/proc/self/io") as io:
        return int(next(line for line in io if line.startswith("rchar")).split()[1])
package, cache = sys.argv[1:]
datasets.load_dataset(package, "drone", split="test", cache_dir=cache + "/warm")
result = {}
selections = {"all": None, "one_view": [("view", "==", 3)], "one_intensity": [("intensity", "==", 0.1)]}
for name, filters in selections.items():
    before = read_bytes()
    datasets.load_dataset(package, "microscopy", split="train", filters=filters, cache_dir=cache + name,
                          verification_mode="no_checks")
    result[name] = read_bytes() - before
print(json.dumps(result))
"""
