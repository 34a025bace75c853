"""The README's commands and snippets run as they stand."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from datasets import load_dataset
from helpers import source_raw

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_first_command_runs_twice(tmp_path):
    """The main job on the sample archive, twice in a row (the install step is this environment's)."""
    first_line = re.search(r"```bash\n(.*?)\n", README).group(1)
    install, *steps = first_line.split(" && ")
    assert install == "pip install -e ."
    command = " && ".join(steps).replace("/tmp/l2l-", f"{tmp_path}/l2l-")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for _ in range(2):
        result = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=600, env=env)
        assert result.returncode == 0, result.stderr
        assert "microscopy/train: 741 rows of 39 images" in result.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == ["l2l-archive", "l2l-package"]


SNIPPETS = re.findall(r"```python\n(.*?)```", README, re.DOTALL)


def run_snippet(code: str, tmp_path, package, archive=None) -> subprocess.CompletedProcess:
    """A snippet as written, in a process of its own, with the sample package and archive at the README's paths."""
    code = code.replace("/tmp/l2l-package", str(package)).replace("/tmp/l2l-archive", str(archive))
    env = {**os.environ, "HF_HOME": str(tmp_path / "home")}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env
    )


@pytest.mark.parametrize("number", range(len(SNIPPETS)))
def test_every_python_snippet_runs_as_written(number, package, archive_dir, tmp_path):
    result = run_snippet(SNIPPETS[number], tmp_path, package, archive_dir)
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
    assert result.stdout.startswith("torch.Size([32, 256, 256]) torch.int32 tensor([")


@pytest.mark.parametrize("engine", ["duckdb", "polars", "dask"])
def test_engine_snippet_gives_the_tiles_of_one_intensity_with_their_ids(engine, package, archive_dir, tmp_path):
    (snippet,) = [code for code in SNIPPETS if f"import {engine}" in code]
    saved = "\nimport json\nimport numpy\nnumpy.save('tiles.npy', tiles)\njson.dump(ids, open('ids.json', 'w'))\n"
    result = run_snippet(snippet + saved, tmp_path, package)
    assert result.returncode == 0, result.stderr
    ids, tiles = json.loads((tmp_path / "ids.json").read_text()), np.load(tmp_path / "tiles.npy")
    train = load_dataset(str(package), "microscopy", split="train", cache_dir=str(tmp_path / "cache"))
    rows = zip(train["image_id"], train["intensity"], strict=True)
    assert ids == sorted(image_id for image_id, intensity in rows if intensity == 0.5)
    assert tiles.dtype == np.uint16
    assert tiles.shape == (len(ids), 256, 256)
    for image_id, tile in zip(ids, tiles, strict=True):
        np.testing.assert_array_equal(tile, source_raw(archive_dir, image_id, 0.5))
