"""Nothing lost, nothing stale: output folders never overlap or replace what is not ours, one writer
at a time, interrupted runs leave nothing behind, folders follow the umask, the builder rebuilds a
changed archive."""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import source_tile, tree

from _lens2logit.cli.main import main
from _lens2logit.errors import OutputError
from _lens2logit.facts import SPLITS
from _lens2logit.package.convert import convert
from _lens2logit.sample.drone import drone_files
from _lens2logit.sample.writer import write_sample
from lens2logit import Lens2Logit

CONVERT = [sys.executable, "-m", "_lens2logit.cli", "convert"]


def leftovers(parent: Path) -> list[str]:
    """Staging, replaced-package and lock entries left in `parent`."""
    return sorted(path.name for path in parent.iterdir() if path.name.startswith("."))


@pytest.fixture
def tiny_sample(monkeypatch):
    """`lens2logit sample` writing two small files: these tests are about the folder, not the data."""
    monkeypatch.setattr(
        "_lens2logit.sample.writer.microscopy_files", lambda *_: [("microscopy/labels/a.dat", b"x A\n")]
    )
    monkeypatch.setattr("_lens2logit.sample.writer.drone_files", lambda *_: [("drone/masks_full/a.png", b"png")])


@pytest.fixture
def drone_archive(drone_archive_dir, tmp_path):
    """A private copy of the small drone archive, which a test may try to destroy."""
    return shutil.copytree(drone_archive_dir, tmp_path / "data" / "archive")


@pytest.mark.parametrize(
    "out",
    [
        lambda archive: archive,  # convert A A --overwrite
        lambda archive: archive.parent,  # the folder holding the archive
        lambda archive: archive.parent.parent,
        lambda archive: archive / "package",  # inside the archive
        lambda archive: archive / "drone" / "package",
    ],
)
def test_output_overlapping_the_archive_is_refused_and_the_archive_survives(drone_archive, capsys, out):
    target = out(drone_archive)
    before = tree(drone_archive.parent.parent)
    assert main(["convert", str(drone_archive), str(target), "--overwrite", "--no-progress"]) == 1
    assert f"{target}: overlaps the input {drone_archive}" in capsys.readouterr().err
    assert tree(drone_archive.parent.parent) == before
    assert not (drone_archive / "package").exists()


def test_output_overlapping_one_of_several_archives_is_refused(drone_archive, tmp_path, capsys):
    other = tmp_path / "other.zip"
    shutil.make_archive(str(other.with_suffix("")), "zip", drone_archive)
    assert main(["convert", str(other), str(drone_archive), str(drone_archive.parent), "--overwrite"]) == 1
    assert "overlaps the input" in capsys.readouterr().err
    assert (drone_archive / "drone").is_dir()


def test_overwrite_replaces_only_a_lens2logit_package(drone_archive, tmp_path):
    out = tmp_path / "package"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "data").mkdir()
    (out / "data" / "results.csv").write_text("1,2")
    for overwrite in (False, True):  # --overwrite is not offered where it would not work
        with pytest.raises(OutputError, match=r"is not a lens2logit package.*\(data/results.csv, notes.txt\)"):
            convert(drone_archive, out, overwrite=overwrite, progress=False)
    assert (out / "notes.txt").read_text() == "mine"

    shutil.rmtree(out)
    convert(drone_archive, out, progress=False)
    (out / "notes.txt").write_text("mine")  # a package holding a file of the user's is not ours to drop
    with pytest.raises(OutputError, match=r"\(notes.txt\)"):
        convert(drone_archive, out, overwrite=True, progress=False)
    (out / "notes.txt").unlink()
    first = tree(out)
    convert(drone_archive, out, overwrite=True, progress=False)
    assert tree(out) == first
    assert leftovers(tmp_path) == []


def test_output_that_is_a_file_is_refused(drone_archive, tmp_path):
    out = tmp_path / "package"
    out.write_text("mine")
    with pytest.raises(OutputError, match="is a file"):
        convert(drone_archive, out, overwrite=True, progress=False)
    assert out.read_text() == "mine"


def test_sample_overwrite_replaces_only_a_sample(tmp_path, capsys, tiny_sample):
    out = tmp_path / "archive"
    assert main(["sample", str(out), "--zip", "--overwrite"]) == 0
    first = tree(out)
    assert main(["sample", str(out), "--zip"]) == 1
    assert "already exists; pass --overwrite" in capsys.readouterr().err
    assert main(["sample", str(out), "--zip", "--overwrite"]) == 0
    assert tree(out) == first
    mine = tmp_path / "downloads"
    mine.mkdir()
    (mine / "lens2logit.zip").write_bytes(b"a real download")
    assert main(["sample", str(mine), "--overwrite"]) == 1
    assert "is not a sample archive written by `lens2logit sample`" in capsys.readouterr().err
    assert (mine / "lens2logit.zip").read_bytes() == b"a real download"


def _write_drone(folder: Path, seed: int) -> None:
    """The small drone archive of `seed` at `folder`, replacing what is there."""
    shutil.rmtree(folder, ignore_errors=True)
    for relative, data in drone_files(2, seed, "uint8"):
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(data)


def _assert_built_from(data_dir: str, archive: Path, cache: Path) -> list[str]:
    """Build `drone` from `data_dir`; its full-intensity raw tiles must equal `archive`'s files.
    Returns a digest of each of those tiles."""
    builder = Lens2Logit(config_name="drone", data_dir=data_dir, cache_dir=str(cache))
    builder.download_and_prepare()
    ids, digests = [], []
    for split in SPLITS:
        for row in builder.as_dataset(split=split).with_format("numpy"):
            if row["view"] == 0 and row["intensity"] == 1.0:
                ids.append(row["image_id"])
                np.testing.assert_array_equal(row["raw"], source_tile(archive, row["image_id"], 1.0))
                digests.append(hashlib.sha256(row["raw"].tobytes()).hexdigest())
    assert sorted(ids) == sorted(p.stem for p in (archive / "drone/images_tiles_256/raw_scale100").iterdir())
    return digests


def test_builder_rebuilds_an_archive_replaced_under_the_same_path(tmp_path):
    archive, cache = tmp_path / "archive", tmp_path / "cache"
    _write_drone(archive, seed=1)
    first = _assert_built_from(str(archive), archive, cache)
    _write_drone(archive, seed=2)
    assert _assert_built_from(str(archive), archive, cache) != first  # the pixels changed, and were rebuilt


def test_builder_keys_a_relative_data_dir_on_the_folder_it_names(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    built = []
    for seed, name in enumerate(("one", "two"), start=1):
        _write_drone(tmp_path / name / "archive", seed)
        monkeypatch.chdir(tmp_path / name)
        built.append(_assert_built_from("archive", tmp_path / name / "archive", cache))
    assert built[0] != built[1]


def _start_convert(archive: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*CONVERT, str(archive), str(out), "--no-progress", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_staging(out: Path, process: subprocess.Popen) -> Path:
    """The staging folder of `process`, once it holds a written shard."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for staging in out.parent.glob(f".{out.name}.staging-{process.pid}-*"):
            if any(staging.rglob("*.parquet*")):
                return staging
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    raise AssertionError("no staging folder appeared")


@pytest.mark.parametrize("overwrite", [False, True])
def test_sigterm_removes_partial_output_and_leaves_out_as_it_was(archive_dir, tmp_path, overwrite):
    out = tmp_path / "package"
    if overwrite:
        convert(archive_dir, out, progress=False)
    before = tree(out) if overwrite else None
    process = _start_convert(archive_dir, out, *(["--overwrite"] if overwrite else []))
    _wait_for_staging(out, process)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert stderr.endswith("lens2logit: stopped by SIGTERM\n")
    assert "Traceback" not in stderr
    if overwrite:
        assert tree(out) == before
    else:
        assert not out.exists()
    assert leftovers(tmp_path) == []


def test_after_sigkill_the_next_convert_removes_the_stale_staging(archive_dir, tmp_path):
    out = tmp_path / "package"
    process = _start_convert(archive_dir, out)
    staging = _wait_for_staging(out, process)
    process.kill()
    process.communicate(timeout=60)
    assert staging.is_dir()  # what a killed run leaves
    assert not out.exists()
    result = subprocess.run([*CONVERT, str(archive_dir), str(out), "--no-progress"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"removing {staging}, left by an interrupted run (pid {process.pid})" in result.stderr
    assert leftovers(tmp_path) == []
    assert (out / "dataset_infos.json").is_file()


def test_a_second_convert_to_the_same_out_fails_at_once_naming_the_first(archive_dir, tmp_path, capsys):
    out = tmp_path / "package"
    first = _start_convert(archive_dir, out)
    _wait_for_staging(out, first)
    started = time.monotonic()
    assert main(["convert", str(archive_dir), str(out), "--no-progress", "--overwrite"]) == 1
    assert time.monotonic() - started < 5
    assert f"{out}: another lens2logit run (pid {first.pid}) is writing it now" in capsys.readouterr().err
    _, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr
    assert (out / "dataset_infos.json").is_file()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o755), (0o027, 0o750)])
def test_output_folders_follow_the_umask(drone_archive, tmp_path, umask, mode, tiny_sample):
    previous = os.umask(umask)
    try:
        convert(drone_archive, tmp_path / "package", progress=False)
        write_sample(tmp_path / "sample", as_zip=True)
    finally:
        os.umask(previous)
    for folder in (tmp_path / "package", tmp_path / "package" / "drone", tmp_path / "sample"):
        assert folder.stat().st_mode & 0o777 == mode, folder
