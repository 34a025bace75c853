"""The README's commands and the snippets of the README and of docs/ run as they stand; the README is a landing
page (short lines, links that resolve)."""

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import run_first_command
from datasets import load_dataset
from helpers import source_raw, tree

from lens2logit import pixels

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()
PAGES = sorted((ROOT / "docs").glob("*.md"))
DOCS = {page.name: page.read_text() for page in PAGES}


def test_first_command_runs_twice(first_command, tmp_path):
    """The main job on the sample archive (the install step is this environment's): its first run, the session's,
    and a second run over the folders it left, which replaces them with the same bytes."""
    assert "microscopy/train: 741 rows of 39 images" in (first_command / "stdout.txt").read_text()
    for name in ("l2l-archive", "l2l-package"):
        shutil.copytree(first_command / name, tmp_path / name)
    started = time.time_ns()
    result = run_first_command(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "microscopy/train: 741 rows of 39 images" in result.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == ["l2l-archive", "l2l-package"]
    for name in ("l2l-archive", "l2l-package"):
        assert tree(tmp_path / name) == tree(first_command / name)
        assert all(path.stat().st_mtime_ns >= started for path in (tmp_path / name).rglob("*") if path.is_file())


PIPELINE = "bilinear-sharpening_filter-gaussian_denoising"  # the one the Ray snippet applies
SNIPPETS = [code for text in (README, *DOCS.values()) for code in re.findall(r"```python\n(.*?)```", text, re.DOTALL)]


def run_snippet(code: str, tmp_path, package, archive=None) -> subprocess.CompletedProcess:
    """A snippet as written, in a process of its own, with the sample package and archive at the README's paths."""
    code = code.replace("/tmp/l2l-package", str(package)).replace("/tmp/l2l-archive", str(archive))
    code = code.replace("/tmp/l2l-", f"{tmp_path}/l2l-")  # what a snippet writes
    env = {**os.environ, "HF_HOME": str(tmp_path / "home")}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env
    )


# What marks the snippets that a test below runs and checks the output of; the others only need to run.
OWN_TESTS = ("PIPELINES", "DataLoader", "tiles = ", "map_batches", "drift.evaluate", "drift.search", "optimiser")


def test_every_python_snippet_has_a_test():
    assert len(SNIPPETS) == 12
    assert sum(any(marker in code for marker in OWN_TESTS) for code in SNIPPETS) == 10


OTHERS = [code for code in SNIPPETS if not any(marker in code for marker in OWN_TESTS)]


@pytest.mark.parametrize("code", OTHERS, ids=[f"snippet {SNIPPETS.index(code)}" for code in OTHERS])
def test_every_other_python_snippet_runs_as_written(code, package, archive_dir, tmp_path):
    result = run_snippet(code, tmp_path, package, archive_dir)
    assert result.returncode == 0, result.stderr


def test_processing_snippet_prints_twelve_views_and_a_processed_batch(package, tmp_path):
    (snippet,) = [code for code in SNIPPETS if "PIPELINES" in code]
    result = run_snippet(snippet, tmp_path, package)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "12 (256, 256, 3) torch.Size([2, 3, 256, 256])"


def test_training_snippet_batches_with_a_dataloader(package, tmp_path):
    (snippet,) = [code for code in SNIPPETS if "DataLoader" in code]
    result = run_snippet(snippet, tmp_path, package)
    assert result.returncode == 0, result.stderr
    mapped, streamed = result.stdout.splitlines()
    assert mapped.startswith("torch.Size([32, 256, 256]) torch.int32 tensor([")
    assert streamed.startswith("torch.Size([32, 256, 256]) tensor([")


@pytest.mark.parametrize("engine", ["duckdb", "polars", "dask", "ray"])
def test_engine_snippet_gives_the_tiles_of_one_intensity_with_their_ids(engine, package, archive_dir, tmp_path):
    (snippet,) = [code for code in SNIPPETS if f"import {engine}" in code and "tiles = " in code]
    saved = "\nimport json\nimport numpy\nnumpy.save('tiles.npy', tiles)\njson.dump(ids, open('ids.json', 'w'))\n"
    result = run_snippet(snippet + saved, tmp_path, package)
    assert result.returncode == 0, result.stderr
    assert " INFO " not in result.stderr  # Ray's progress lines are quietened
    assert "deprecated" not in result.stderr
    ids, tiles = json.loads((tmp_path / "ids.json").read_text()), np.load(tmp_path / "tiles.npy")
    train = load_dataset(str(package), "microscopy", split="train", cache_dir=str(tmp_path / "cache"))
    rows = zip(train["image_id"], train["intensity"], strict=True)
    assert ids == sorted(image_id for image_id, intensity in rows if intensity == 0.5)
    assert tiles.dtype == np.uint16
    assert tiles.shape == (len(ids), 256, 256)
    for image_id, tile in zip(ids, tiles, strict=True):
        np.testing.assert_array_equal(tile, source_raw(archive_dir, image_id, 0.5))


def test_ray_processing_snippet_gives_the_plain_loop_rgb_of_every_raw_row(package, tmp_path):
    (snippet,) = [code for code in SNIPPETS if "map_batches" in code]
    earlier = tmp_path / "l2l-processed"  # what an earlier run left: a rerun replaces it, adding nothing
    earlier.mkdir()
    pq.write_table(pa.table({"image_id": ["earlier"], "intensity": [1.0]}), earlier / "earlier.parquet")
    result = run_snippet(snippet, tmp_path, package)
    assert result.returncode == 0, result.stderr
    assert " INFO " not in result.stderr
    assert "deprecated" not in result.stderr
    train = load_dataset(str(package), "microscopy", split="train", cache_dir=str(tmp_path / "cache"))
    raw = train.filter(lambda row: row["view"] == 0)
    written = pq.read_table(tmp_path / "l2l-processed").sort_by(
        [("image_id", "ascending"), ("intensity", "descending")]
    )
    assert result.stdout.strip() == f"{raw.num_rows} rows processed"
    assert written.num_rows == raw.num_rows
    assert set(written["pipeline"].to_pylist()) == {PIPELINE}
    expected = pixels(raw, "torch", pipeline=PIPELINE, columns=["image_id", "intensity"])[:]
    order = sorted(range(raw.num_rows), key=lambda i: (expected["image_id"][i], -float(expected["intensity"][i])))
    assert written["image_id"].to_pylist() == [expected["image_id"][i] for i in order]
    assert written["intensity"].to_pylist() == [float(expected["intensity"][i]) for i in order]
    rgb = written["rgb"].combine_chunks().flatten().to_numpy().reshape(-1, 3, 256, 256)
    np.testing.assert_allclose(rgb, expected["rgb"].numpy()[order], rtol=0, atol=1e-6)


def test_performance_table_is_the_one_of_benchmarks_results(monkeypatch):
    """The README's benchmark table is what `benchmarks/run.py` makes of `benchmarks/results.json`."""
    benchmarks = Path(__file__).parents[1] / "benchmarks"
    monkeypatch.syspath_prepend(str(benchmarks))
    import table

    results = json.loads((benchmarks / "results.json").read_text())["results"]
    assert [result["scale"] for result in results] == [0.32, 1.0]
    assert f"{table.TABLE_START}\n{table.table(results)}\n{table.TABLE_END}" in DOCS["reading.md"]


@pytest.mark.parametrize(("name", "page"), [("stream_bandwidth", "README.md"), ("stream_bytes", "docs/reading.md")])
def test_streaming_tables_are_the_ones_of_their_benchmarks(monkeypatch, name, page):
    """The README's capped-link table and docs/reading.md's bytes table are what `benchmarks/stream_bandwidth.py`
    and `benchmarks/stream_bytes.py` make of their JSON."""
    benchmarks = Path(__file__).parents[1] / "benchmarks"
    monkeypatch.syspath_prepend(str(benchmarks))
    benchmark, table = importlib.import_module(name), importlib.import_module("table")
    results = json.loads((benchmarks / f"{name}.json").read_text())
    assert f"{benchmark.TABLE_START}\n{benchmark.table(results)}\n{table.TABLE_END}" in (ROOT / page).read_text()
    if name == "stream_bandwidth":
        assert list(results["results"]) == ["none", "200", "50", "20"]


def run_drift_snippet(snippet: str, tmp_path, package, conditions: int) -> list[str]:
    """Run a snippet that prints a drift report of one model on the sample's microscopy test split; its lines,
    after checking the summary's header and the conditions it averages over."""
    result = run_snippet(snippet, tmp_path, package)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "microscopy/test: 9 images, 95% intervals from 1000 bootstrap resamples of them"
    assert lines[1] == "model model, accuracy:"
    assert f"mean over the {conditions} conditions" in result.stdout
    return lines


def test_drift_snippet_prints_the_summary_and_the_table_columns(package, tmp_path):
    (snippet,) = [code for code in SNIPPETS if "drift.evaluate" in code and "optimiser" not in code]
    lines = run_drift_snippet(snippet, tmp_path, package, conditions=24)
    columns = (
        "['model', 'intensity', 'pipeline', 'metric', 'value', 'low', 'high', 'n', 'delta', 'delta_low', 'delta_high']"
    )
    assert lines[-1] == columns
    assert (tmp_path / "l2l-heatmap.png").read_bytes()[:4] == b"\x89PNG"


def test_learned_processing_snippet_trains_through_the_processing_and_searches(package, tmp_path):
    (snippet,) = [code for code in SNIPPETS if "drift.search" in code]
    result = run_snippet(snippet, tmp_path, package)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    gradients = [float(number) for number in re.findall(r"-?\d+\.\d*(?:e[-+]?\d+)?", lines[0])]
    assert len(gradients) == 4  # the white balance's 3 and the gamma's
    assert all(gradient != 0 for gradient in gradients)
    assert lines[1].startswith("search of white_balance in bilinear-sharpening_filter-gaussian_denoising at 1.00, l2")
    assert "10 steps on" in lines[1]
    assert [line.split(":")[0] for line in lines[2:5]] == ["  accuracy", "  balanced_accuracy", "  macro_f1"]
    assert lines[5].startswith("  distance to the default processing: L2 ")
    assert lines[6].startswith("  white_balance: [-0.6567, 1.9673, 3.5304] -> [")


def test_learned_processing_table_is_the_benchmarks_run():
    measured = json.loads((Path(__file__).parents[1] / "benchmarks" / "learned_processing.json").read_text())["cpu"]
    for pipeline, found in measured.items():
        steps = found["search_step_s"]
        row = (
            f"| {pipeline} | {found['port_forward_s']:.3f} s | {found['module_forward_backward_s']:.3f} s | "
            f"{found['ratio']:.2f}x | {steps['l2']:.2f} s | {steps['ssim']:.2f} s |"
        )
        assert row in DOCS["drift.md"]


def test_quick_start_trains_on_labelled_rows_and_evaluates_every_condition(package, tmp_path):
    (snippet,) = [code for code in SNIPPETS if "optimiser" in code]
    assert snippet == re.findall(r"```python\n(.*?)```", README, re.DOTALL)[0]  # the README's first snippet
    run_drift_snippet(snippet, tmp_path, package, conditions=84)


def test_readme_is_a_landing_page_whose_links_resolve():
    assert README.count("\n") <= 150
    prose = re.sub(r"```.*?```", "", README, flags=re.DOTALL)
    assert [line for line in prose.splitlines() if len(line) > 120] == []
    for text, folder in ((README, ROOT), *((text, ROOT / "docs") for text in DOCS.values())):
        for target in re.findall(r"\]\(([^)#]+?)(?:#[^)]*)?\)", text):
            if not target.startswith("http"):
                assert (folder / target).exists(), target
    assert {f"docs/{page.name}" for page in PAGES} <= set(re.findall(r"\((docs/[\w-]+\.md)\)", README))
