"""Files as the authors' own code writes them: float32 (mode F) tiles holding integral DN values,
float TIFF frames, 1-bit, 0/255 and 0/1 masks, all converting to the same rows, bit for bit; and
folders and files no config reads (the authors' `rgb_scaleXXX/`, a stray file)."""

import re
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import tifffile
from conftest import SEED, write_drone_archive, write_files
from helpers import tree
from PIL import Image

from _lens2logit.archive.drone import index_drone
from _lens2logit.archive.drone_full import index_drone_full
from _lens2logit.archive.reader import Archive
from _lens2logit.cli.main import main
from _lens2logit.errors import ArchiveLayoutError, ImageFormatError
from _lens2logit.package.convert import convert
from _lens2logit.sample.drone import drone_files

TILES = Path("drone/images_tiles_256")
TILE_MASKS = Path("drone/masks_tiles_256")


def all_rows(source: Path, index=index_drone) -> pa.Table:
    """Every row the converter writes for the config, both splits, as one table."""
    with Archive(source) as opened:
        checked = index(opened)
        tables = [table for split in ("train", "test") for _, _, table in checked.tables(opened, split)]
    return pa.concat_tables(tables)


@pytest.fixture(scope="module")
def expected_tiles(drone_archive_dir) -> pa.Table:
    return all_rows(drone_archive_dir)


@pytest.fixture
def archive(drone_archive_dir, tmp_path) -> Path:
    return shutil.copytree(drone_archive_dir, tmp_path / "archive")


def raw_tiles(archive: Path) -> list[Path]:
    return sorted(archive.glob(f"{TILES}/raw_scale*/*.tif"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_tiles_convert_bit_exactly(archive, expected_tiles, dtype):
    for path in raw_tiles(archive):
        values = tifffile.imread(path)
        if dtype == np.float32:  # exactly as the authors' code saves a tile: PIL mode F
            Image.fromarray(values.astype(np.float32)).save(path)
            with Image.open(path) as written:
                assert written.mode == "F"
        else:
            tifffile.imwrite(path, values.astype(np.float64))
    assert all_rows(archive).equals(expected_tiles)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(12.5, "12.5"), (-16.0, "-16.0"), (65536.0, "65536.0"), (np.nan, "nan")],
)
def test_float_tile_with_a_value_no_uint16_can_hold(archive, value, shown):
    path = raw_tiles(archive)[3]
    values = tifffile.imread(path).astype(np.float32)
    values[5, 7] = value
    tifffile.imwrite(path, values)
    message = f"{path}: float32 mosaic holds {shown} at (row, column) (5, 7)"
    with pytest.raises(ImageFormatError, match=re.escape(message)):
        all_rows(archive)


def test_float_tiff_frames_convert_bit_exactly(tmp_path):
    archive = write_drone_archive(tmp_path / "archive", frame_format="tiff")
    expected = all_rows(archive, index_drone_full)
    for path in sorted(archive.glob("drone/images_full/*/*.tif*")):
        tifffile.imwrite(path, tifffile.imread(path).astype(np.float32))
    assert all_rows(archive, index_drone_full).equals(expected)


@pytest.mark.parametrize("kind", ["1-bit", "0/1"])
def test_mask_kinds_read_the_same(archive, expected_tiles, kind):
    masks = sorted((archive / TILE_MASKS).iterdir())
    for path in masks:
        with Image.open(path) as source:
            assert source.mode == "L"  # the sample writes 8-bit 0/255
            car = np.asarray(source) != 0
        image = Image.fromarray(car) if kind == "1-bit" else Image.fromarray(car.astype(np.uint8))
        image.save(path)
        with Image.open(path) as written:
            assert written.mode == ("1" if kind == "1-bit" else "L")
    assert all_rows(archive).equals(expected_tiles)


def test_folders_no_config_reads_are_listed_not_fatal(archive, drone_package, tmp_path, capsys):
    """The authors' `rgb_scaleXXX/` folder, a stray top-level file, and a file among the authors'
    classification files that is none of them (the files `drone_classification` compares)."""
    rgb = archive / TILES / "rgb_scale100"
    rgb.mkdir()
    shutil.copy(raw_tiles(archive)[0], rgb / "01_00000.tif")
    (archive / "drone" / "classification").mkdir()
    (archive / "drone" / "classification" / "notes.txt").write_text("notes")
    (archive / "README.txt").write_text("notes")
    unread = ["README.txt", "drone/classification/notes.txt", "drone/images_tiles_256/rgb_scale100/"]
    out = tmp_path / "package"
    assert main(["convert", str(archive), str(out), "--no-progress"]) == 0
    printed = capsys.readouterr()
    for part in unread:
        assert f"not converted: {part} (no config reads it)" in printed.err
    card = (out / "README.md").read_text()
    assert "- Not converted: " + ", ".join(f"`{part}`" for part in unread) in card
    assert tree(out, "*.parquet") == tree(drone_package, "*.parquet")
    assert main(["check", str(archive), "--no-progress"]) == 0
    assert "not checked: drone/classification/notes.txt (no config reads it)" in capsys.readouterr().out


def test_an_unknown_pipeline_folder_stays_an_error(archive):
    views = archive / TILES / "processed_views"
    sorted(views.iterdir())[0].rename(views / "pipeline_A")
    with pytest.raises(ArchiveLayoutError, match="cannot tell which pipeline folder 'pipeline_A' holds"):
        all_rows(archive)


def test_authors_format_sample_converts_to_the_same_package(drone_package, tmp_path):
    archive = write_files(tmp_path / "archive", drone_files(2, SEED, "uint8", authors_format=True))
    for path in raw_tiles(archive):
        with Image.open(path) as tile:
            assert tile.mode == "F"
    for path in (archive / TILE_MASKS).iterdir():
        with Image.open(path) as mask:
            assert mask.mode == "1"
    out = tmp_path / "package"
    convert(archive, out, progress=False)
    assert tree(out) == tree(drone_package)


def test_sample_values_look_like_the_real_data(archive_dir):
    """Microscopy raw channel means and stds, and the drone black level, within 10 % of the authors' figures."""
    mosaics = np.stack(
        [tifffile.imread(path) / 65535 for path in (archive_dir / "microscopy/images/raw_scale100").iterdir()]
    )
    channels = [mosaics[:, 0::2, 0::2], mosaics[:, 0::2, 1::2], mosaics[:, 1::2, 0::2], mosaics[:, 1::2, 1::2]]
    red, green, blue = channels[0], np.concatenate(channels[1:3]), channels[3]
    np.testing.assert_allclose([c.mean() for c in (red, green, blue)], [0.5663, 0.1401, 0.0731], rtol=0.1)
    np.testing.assert_allclose([c.std() for c in (red, green, blue)], [0.097, 0.0423, 0.008], rtol=0.1)
    black = 4096  # 0.0625 of full scale
    for frame in (archive_dir / "drone/images_full/raw_scale100").iterdir():
        assert tifffile.imread(frame).min() >= black
    for frame in (archive_dir / "drone/images_full/raw_scale001").iterdir():
        assert np.median(tifffile.imread(frame)) == pytest.approx(black, rel=0.1)  # 1 % of the signal, above black
