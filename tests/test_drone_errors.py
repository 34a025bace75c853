"""Errors of the drone part of the archive: each names the file and what is wrong."""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import tifffile
from conftest import write_drone_archive
from helpers import tile_frames
from PIL import Image

from _lens2logit.archive.drone import index_drone
from _lens2logit.archive.drone_full import index_drone_full
from _lens2logit.archive.reader import Archive
from _lens2logit.cli.main import main
from _lens2logit.errors import ArchiveLayoutError, ImageFormatError

TILES = Path("drone/images_tiles_256")
TILE_MASKS = Path("drone/masks_tiles_256")
FRAMES = Path("drone/images_full")
FRAME_MASKS = Path("drone/masks_full")


@pytest.fixture
def archive(drone_archive_dir, tmp_path):
    copy = tmp_path / "archive"
    shutil.copytree(drone_archive_dir, copy)
    return copy


def first(folder: Path) -> Path:
    return sorted(path for path in folder.iterdir() if path.is_file())[0]


def rows(source, index=index_drone, allow_missing: bool = False):
    """Index the archive and generate every row, as a conversion does."""
    with Archive(source) as opened:
        checked = index(opened, allow_missing)
        for split in ("train", "test"):
            for _ in checked.tables(opened, split):
                pass
    return checked


def test_tile_without_mask(archive):
    mask = first(archive / TILE_MASKS)
    mask.unlink()
    tile = archive / TILES / "raw_scale100" / f"{mask.stem}.tif"
    with pytest.raises(ArchiveLayoutError, match=f"{tile}: no mask for it"):
        rows(archive)
    index = rows(archive, allow_missing=True)
    assert mask.stem not in index.tiles
    assert index.skipped == [f"{tile}: no mask for it"]


def test_mask_without_tile(archive):
    extra = archive / TILE_MASKS / "01_00099.png"
    shutil.copy(first(archive / TILE_MASKS), extra)
    with pytest.raises(ArchiveLayoutError, match=f"{extra}: mask of no image"):
        rows(archive)


def test_intensity_folder_with_fewer_tiles(archive):
    tile = first(archive / TILES / "raw_scale025")
    tile.unlink()
    with pytest.raises(ArchiveLayoutError, match=f"{tile.parent}: 1 image\\(s\\) of raw_scale100 missing: {tile.stem}"):
        rows(archive)


def test_tile_mask_of_wrong_shape(archive):
    mask = first(archive / TILE_MASKS)
    Image.fromarray(np.zeros((255, 256), np.uint8)).save(mask)
    with pytest.raises(
        ImageFormatError, match=f"{mask}: expected a mask of shape \\(256, 256\\), found \\(255, 256\\)"
    ):
        rows(archive)


def test_tile_of_wrong_shape(archive):
    tile = first(archive / TILES / "raw_scale050")
    tifffile.imwrite(tile, np.zeros((256, 128), np.uint16))
    with pytest.raises(
        ImageFormatError,
        match=f"{tile}: expected uint16/float32/float64 of shape \\(256, 256\\), found uint16 of shape",
    ):
        rows(archive)


def test_mask_that_is_not_binary(archive):
    mask = first(archive / TILE_MASKS)
    values = np.zeros((256, 256), np.uint8)
    values[:10], values[10:20] = 255, 100  # anti-aliased or multi-class: not a binary mask
    Image.fromarray(values).save(mask)
    with pytest.raises(
        ImageFormatError, match=f"{mask}: not a binary mask: 2 different non-zero values \\(100, 255\\)"
    ):
        rows(archive)


def test_binary_masks_of_any_non_zero_value_are_accepted(archive):
    mask = first(archive / TILE_MASKS)
    source = np.asarray(Image.open(mask)) != 0
    Image.fromarray(np.where(source[..., None], [0, 200, 0], [0, 0, 0]).astype(np.uint8)).save(mask)  # green cars
    index = rows(archive)
    assert index.tiles[mask.stem].car_fraction == pytest.approx(source.mean())


def test_full_mask_of_wrong_shape(archive):
    mask = first(archive / FRAME_MASKS)
    Image.fromarray(np.zeros((512, 512), np.uint8)).save(mask)
    with pytest.raises(
        ImageFormatError, match=f"{mask}: expected a mask of shape \\(640, 896\\), found \\(512, 512\\)"
    ):
        rows(archive, index_drone_full)


def test_unreadable_dng_names_the_file(archive):
    frame = first(archive / FRAMES / "raw_scale100")
    frame.write_bytes(b"II*\x00not a raw file")
    with pytest.raises(ImageFormatError, match=f"{frame}: cannot read as DNG"):
        rows(archive, index_drone_full)


def test_full_frame_without_mask(archive):
    mask = first(archive / FRAME_MASKS)
    mask.unlink()
    with pytest.raises(
        ArchiveLayoutError, match=f"{archive / FRAMES / 'raw_scale100' / mask.stem}.dng: no mask for it"
    ):
        rows(archive, index_drone_full)


def rename_frame(archive: Path, old: str, new: str) -> None:
    """Rename a full frame (every intensity) and its mask."""
    for path in [*archive.glob(f"{FRAMES}/*/{old}.*"), *archive.glob(f"{FRAME_MASKS}/{old}.*")]:
        path.rename(path.with_name(new + path.suffix))


def test_tiles_are_linked_to_frames_by_content_not_by_number(archive):
    rename_frame(archive, "DJI_0001", "DJI_tmp")
    rename_frame(archive, "DJI_0002", "DJI_0001")
    rename_frame(archive, "DJI_tmp", "DJI_0002")  # the first sorted frame now holds the tiles numbered 01
    expected = tile_frames(archive)
    assert expected == {tile: "DJI_0002" if tile.startswith("00_") else "DJI_0001" for tile in expected}
    tiles, frames = rows(archive), rows(archive, index_drone_full)
    assert {tile.image_id: tile.frame for tile in tiles.tiles.values()} == expected
    assert {frame.image_id: frame.frame_id for frame in frames.frames.values()} == {"DJI_0001": 1, "DJI_0002": 0}
    assert tiles.numbering == "neither the frames' sorted position nor the number in their file names"
    assert main(["check", str(archive), "--no-progress"]) == 0


def test_sample_numbers_frames_by_sorted_position(drone_archive_dir):
    assert rows(drone_archive_dir).numbering.startswith("the frame's 0-based position in the sorted listing")


def test_tile_changed_by_one_value_matches_no_frame(archive):
    tile = first(archive / TILES / "raw_scale100")
    pixels = tifffile.imread(tile)
    pixels[10, 20] += 16
    tifffile.imwrite(tile, pixels)
    message = f"{tile}: equals no 256-grid cell of any frame in {FRAMES}/raw_scale100/"
    with pytest.raises(ArchiveLayoutError, match=re.escape(message)):
        rows(archive)
    assert message in rows(archive, allow_missing=True).skipped


def test_frame_with_no_tile(tmp_path):
    archive = write_drone_archive(tmp_path / "archive", frame_format="tiff")
    for path in [*archive.glob(f"{FRAMES}/*/DJI_0001.tiff"), archive / FRAME_MASKS / "DJI_0001.png"]:
        shutil.copy(path, path.with_name("DJI_0009" + path.suffix))
    for path in archive.glob(f"{FRAMES}/*/DJI_0009.tiff"):
        tifffile.imwrite(path, tifffile.imread(path) + 16)  # other pixels: no tile is a cell of it
    frame = archive / FRAMES / "raw_scale100" / "DJI_0009.tiff"
    with pytest.raises(ArchiveLayoutError, match=f"{frame}: no tile in drone/images_tiles_256/ is a cell of this"):
        rows(archive, index_drone_full)
    assert "DJI_0009" not in rows(archive, index_drone_full, allow_missing=True).frames


def test_tiles_of_one_number_from_two_frames(archive):
    tiles = sorted((archive / TILES / "raw_scale100").iterdir())
    other = next(path for path in tiles if path.stem[:2] != tiles[0].stem[:2])
    renamed = f"{tiles[0].stem[:2]}_00077"
    for path in archive.glob(f"{TILES}/**/{other.stem}.*"):
        path.rename(path.with_name(renamed + path.suffix))
    (archive / TILE_MASKS / f"{other.stem}.png").rename(archive / TILE_MASKS / f"{renamed}.png")
    with pytest.raises(
        ArchiveLayoutError, match=f"{renamed}.tif: is a cell of frame DJI_000., but tile {tiles[0].stem}"
    ):
        rows(archive)
