"""Reading the synthetic archive back the plain way, to compare against."""

import hashlib
import io
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

from _lens2logit.facts import MICROSCOPY_LABEL_FILE
from _lens2logit.naming import intensity_folder


def read_labels(archive: Path) -> dict[str, str]:
    lines = (archive / "microscopy" / "labels" / MICROSCOPY_LABEL_FILE).read_text().splitlines()
    return dict(line.split() for line in lines if line.strip())


def source_raw(archive: Path, image_id: str, intensity: float) -> np.ndarray:
    return tifffile.imread(archive / "microscopy" / "images" / intensity_folder(intensity) / f"{image_id}.tiff")


def source_view(archive: Path, view: str, image_id: str) -> np.ndarray:
    folder = archive / "microscopy" / "images" / "processed_views" / view.replace("-", "_")
    (path,) = folder.glob(f"{image_id}.*")
    if path.suffix == ".png":
        return np.asarray(Image.open(path))
    return tifffile.imread(path)


def decode_png(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def source_tile(archive: Path, image_id: str, intensity: float) -> np.ndarray:
    return tifffile.imread(archive / "drone" / "images_tiles_256" / intensity_folder(intensity) / f"{image_id}.tif")


def source_tile_view(archive: Path, view: str, image_id: str) -> np.ndarray:
    folder = archive / "drone" / "images_tiles_256" / "processed_views" / view.replace("-", "_")
    return np.asarray(Image.open(folder / f"{image_id}.png"))


def source_mask(archive: Path, folder: str, image_id: str) -> np.ndarray:
    """The archive's mask binarised the documented way: non-zero -> True."""
    return np.asarray(Image.open(archive / "drone" / folder / f"{image_id}.png")) != 0


def source_frame(archive: Path, image_id: str, intensity: float) -> np.ndarray:
    """A full frame read with tifffile (a DNG is a TIFF), independently of the converter's LibRaw reader."""
    (path,) = (archive / "drone" / "images_full" / intensity_folder(intensity)).glob(f"{image_id}.*")
    return tifffile.imread(path)


def tile_frames(archive: Path) -> dict[str, str]:
    """Tile name -> stem of the one full frame of which the tile is a 256-grid cell, by comparing pixels."""
    frames = {path.stem: tifffile.imread(path) for path in (archive / "drone/images_full/raw_scale100").iterdir()}
    found = {}
    for tile_path in (archive / "drone/images_tiles_256/raw_scale100").iterdir():
        tile = tifffile.imread(tile_path)
        (found[tile_path.stem],) = [
            stem
            for stem, frame in frames.items()
            for top in range(0, frame.shape[0] - 255, 256)
            for left in range(0, frame.shape[1] - 255, 256)
            if np.array_equal(frame[top : top + 256, left : left + 256], tile)
        ]
    return found


def tree(folder: Path, pattern: str = "*") -> dict[str, str]:
    """Every file under `folder` matching `pattern` (hidden ones too) -> sha256 of its bytes."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob(pattern))
        if path.is_file()
    }
