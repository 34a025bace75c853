"""The `lens2logit` command, the synthetic sample generator and folder-name mapping."""

import re
import zipfile
from collections import Counter

import pytest
from helpers import read_labels

from _lens2logit.cli.main import main
from _lens2logit.errors import ArchiveLayoutError, InvalidArgumentError
from _lens2logit.facts import (
    DEMOSAICING,
    DENOISING,
    MICROSCOPY_CLASS_COUNTS,
    PROCESSED_VIEWS,
    SHARPENING,
)
from _lens2logit.naming import canonical_view, parse_intensity_folder
from _lens2logit.sample.microscopy import DROPPED_CODES, DROPPED_IMAGES, class_counts
from _lens2logit.sample.writer import write_sample


def test_sample_zip_has_every_file_with_fixed_dates(first_command):
    """The README's first command's sample (`sample --zip`); test_readme checks that a rerun gives the same bytes."""
    with zipfile.ZipFile(first_command / "l2l-archive" / "lens2logit.zip") as archive_zip:
        names = archive_zip.namelist()
        assert {name.split("/")[1] for name in names} == {"microscopy", "drone"}
        assert {info.date_time for info in archive_zip.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    microscopy = [n for n in names if n.startswith("lens2logit/microscopy/")]
    assert len([n for n in microscopy if "/raw_scale" in n]) == (45 + DROPPED_IMAGES) * 7
    assert len([n for n in microscopy if "/processed_views/" in n]) == (45 + DROPPED_IMAGES) * 12
    frames = [n for n in names if n.startswith("lens2logit/drone/images_full/")]
    assert len(frames) == 4 * 7
    assert all(n.endswith(".dng") for n in frames)


def test_sample_class_counts():
    assert class_counts(940) == MICROSCOPY_CLASS_COUNTS
    counts = class_counts(45)
    assert sum(counts.values()) == 45
    assert min(counts.values()) == 5


def test_sample_labels_cover_all_classes(archive_dir):
    labels = read_labels(archive_dir)
    assert set(labels.values()) == set(MICROSCOPY_CLASS_COUNTS) | set(DROPPED_CODES)
    assert Counter(labels.values()) == class_counts(45) | DROPPED_CODES


def test_sample_rejects_too_few_images_or_frames(tmp_path, capsys):
    """A usage error on the command line (exit 2), an InvalidArgumentError from the library."""
    for args, message in (
        (["--images", "20"], "argument --images: must be 45 or more, got 20"),
        (["--frames", "1"], "argument --frames: must be 2 or more, got 1"),
    ):
        with pytest.raises(SystemExit) as exited:
            main(["sample", str(tmp_path / "a"), *args])
        assert exited.value.code == 2
        assert message in capsys.readouterr().err
    with pytest.raises(InvalidArgumentError, match="--images must be at least 45 for a stratified split, got 20"):
        write_sample(tmp_path / "a", images=20)
    with pytest.raises(InvalidArgumentError, match="--frames must be at least 2 for a split by frame, got 1"):
        write_sample(tmp_path / "a", frames=1)
    assert not (tmp_path / "a").exists()


def test_convert_and_summary(archive_dir, tmp_path, capsys):
    out = tmp_path / "package"
    assert main(["convert", str(archive_dir), str(out), "--no-progress"]) == 0
    printed = capsys.readouterr()
    assert "microscopy: train 741, test 171 rows" in printed.out
    assert "compared with the published archive (expected for a sample or a partial archive):" in printed.out
    assert "  microscopy/train: 741 rows, published 14,288" in printed.out
    assert main(["convert", str(archive_dir), str(out), "--no-progress"]) == 1
    assert "already exists; pass --overwrite" in capsys.readouterr().err
    assert (
        main(
            [
                "convert",
                str(archive_dir),
                str(out),
                "--no-progress",
                "--overwrite",
                "--expect-published",
            ]
        )
        == 1
    )
    assert "error: --expect-published: the package differs from the published archive" in capsys.readouterr().err
    assert main(["summary", str(out), "--cache-dir", str(tmp_path / "cache")]) == 0
    printed = capsys.readouterr()
    summary = printed.out
    assert "Opening local data files: 100%" in printed.err  # the files are local: nothing is downloaded
    assert "Downloading" not in printed.err
    assert "microscopy/train: 741 rows of 39 images" in summary
    assert "  rows per view:      raw 273, at every intensity; processed 39 in each of 12 views, at 1.00\n" in summary
    assert "1.00 507 (1.00: the raw rows and the processed views)\n" in summary
    labels = re.search(r"microscopy/test: .*\n.*\n.*\n  annotations \(images\): +(.*)", summary).group(1)
    assert sum(int(count) for count in re.findall(r"\d+", labels)) == 9
    assert main(["summary", str(out), "--config", "drone_full", "--cache-dir", str(tmp_path / "cache")]) == 0
    summary = capsys.readouterr().out
    assert "drone_full/train: 21 rows of 3 images\n  frames:             1, 2, 3\n" in summary
    assert "drone_full/test: 7 rows of 1 image\n  frames:             0\n" in summary


@pytest.mark.parametrize("demosaicing", DEMOSAICING)
@pytest.mark.parametrize("sharpening", SHARPENING)
@pytest.mark.parametrize("denoising", DENOISING)
def test_every_pipeline_spelling_maps_to_its_view(demosaicing, sharpening, denoising):
    canonical = f"{demosaicing}-{sharpening}-{denoising}"
    assert canonical in PROCESSED_VIEWS
    short = denoising.removesuffix("_denoising")
    code = demosaicing[:2] + sharpening[0] + denoising[:2]
    for name in (
        f"{demosaicing}_{sharpening}_{denoising}",
        canonical,
        f"{demosaicing} {sharpening} {short}".upper(),
        f"{demosaicing}-{sharpening.replace('_', ' ')}-{short}",
        code,
        code.upper(),
    ):
        assert canonical_view(name, "here") == canonical, name


def test_intensity_folder_names():
    assert parse_intensity_folder("raw_scale0075", "here") == 0.75
    assert parse_intensity_folder("RAW_SCALE005", "here") == 0.05
    assert parse_intensity_folder("raw_scale100", "here") == 1.0
    with pytest.raises(ArchiveLayoutError, match="here: folder 'raw_scale003' is not an intensity folder"):
        parse_intensity_folder("raw_scale003", "here")
