"""Damaged archives: files truncated, emptied or with their header overwritten, chosen at random (fixed seeds)
across every intensity, the views, the masks, the frames and the labels. `check` and `convert` both exit 1 naming
the file, with no traceback, and `convert` leaves nothing beside OUT."""

import os
import random
import shutil
from pathlib import Path

import pytest
from test_cli_errors import run_main

from _lens2logit.facts import INTENSITIES

CI_CASES = 4  # cases run by default; `-m slow` runs SLOW_CASES more
SLOW_CASES = 60
DAMAGES = ("truncated", "emptied", "header overwritten")


def _groups(archive: Path) -> dict[str, list[Path]]:
    """The archive's files in the groups a case draws from: each intensity of each dataset, the views, the masks,
    the frames and the labels."""
    microscopy, drone = archive / "microscopy", archive / "drone"
    groups = {}
    for intensity in INTENSITIES:
        folder = f"raw_scale{round(intensity * 100):03d}"
        groups[f"microscopy {folder}"] = microscopy / "images" / folder
        groups[f"drone tiles {folder}"] = drone / "images_tiles_256" / folder
        groups[f"drone frames {folder}"] = drone / "images_full" / folder
    groups |= {
        "microscopy views": microscopy / "images" / "processed_views",
        "drone views": drone / "images_tiles_256" / "processed_views",
        "tile masks": drone / "masks_tiles_256",
        "frame masks": drone / "masks_full",
        "labels": microscopy / "labels",
    }
    return {name: sorted(path for path in folder.rglob("*") if path.is_file()) for name, folder in groups.items()}


def damage(path: Path, how: str, rng: random.Random) -> None:
    """Replace `path` by a damaged copy (a new file: the archive's files are links to the session archive's)."""
    data = path.read_bytes()
    damaged = {
        "truncated": data[: rng.randrange(len(data))],
        "emptied": b"",
        "header overwritten": rng.randbytes(64) + data[64:],
    }[how]
    path.unlink()
    path.write_bytes(damaged)


def _case(archive: Path, case: int) -> tuple[Path, str]:
    """The file case `case` damages, and how: the groups in turn, the file and the damage at random."""
    rng = random.Random(case)
    groups = _groups(archive)
    name = sorted(groups)[case % len(groups)]
    path = rng.choice(groups[name])
    how = rng.choice(DAMAGES)
    damage(path, how, rng)
    return path, how


def _cases() -> list:
    slow = pytest.mark.slow
    return [pytest.param(case, marks=() if case < CI_CASES else slow) for case in range(CI_CASES + SLOW_CASES)]


@pytest.mark.parametrize("case", _cases())
def test_a_damaged_file_is_named_by_check_and_convert(archive_dir, tmp_path, capsys, case):
    archive = shutil.copytree(archive_dir, tmp_path / "archive", copy_function=os.link)
    path, how = _case(archive, case)
    where = f"{path.relative_to(tmp_path)} {how}"

    checked = run_main(capsys, "check", str(archive), "--no-progress")
    assert checked.returncode == 1, where
    assert "Traceback" not in checked.stderr, where
    assert str(path) in checked.stderr, f"{where}:\n{checked.stderr}"

    out = tmp_path / "out"
    out.mkdir()
    converted = run_main(capsys, "convert", str(archive), str(out / "package"), "--no-progress")
    assert converted.returncode == 1, where
    errors = [line for line in converted.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, f"{where}:\n{converted.stderr}"
    assert str(path) in errors[0], f"{where}:\n{converted.stderr}"
    assert list(out.iterdir()) == [], where


def test_check_names_every_unreadable_file_that_indexing_reads(drone_archive_dir, tmp_path, capsys):
    """The full-intensity tiles and frames link tiles to frames, and the masks are read while indexing: `check`
    goes on past each that does not decode and lists them all."""
    archive = shutil.copytree(drone_archive_dir, tmp_path / "archive", copy_function=os.link)
    drone = archive / "drone"
    broken = [
        sorted((drone / "images_tiles_256" / "raw_scale100").iterdir())[0],
        sorted((drone / "images_tiles_256" / "raw_scale100").iterdir())[5],
        sorted((drone / "masks_tiles_256").iterdir())[3],
        sorted((drone / "images_full" / "raw_scale100").iterdir())[1],
        sorted((drone / "masks_full").iterdir())[0],
        sorted((drone / "images_full" / "raw_scale005").iterdir())[0],
    ]
    for path in broken:
        damage(path, "emptied", random.Random(0))
    result = run_main(capsys, "check", str(archive), "--no-progress")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    unreadable = [line for line in result.stderr.splitlines() if "cannot read as" in line]
    assert sorted(line.split(": cannot read as")[0] for line in unreadable) == sorted(map(str, broken))
    assert f"views and tiling: not checked, since {len(broken)} files did not decode" in result.stdout
