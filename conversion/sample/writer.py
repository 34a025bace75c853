"""A synthetic miniature of the Lens2Logit archive in the real layout, names, dtypes and value ranges."""

import itertools
import zipfile
from pathlib import Path

from ..errors import InvalidArgumentError
from ..facts import DATASET_FOLDERS
from ..output import files_under, staged_output
from .drone import drone_files
from .microscopy import MIN_MICROSCOPY_IMAGES, microscopy_files

DEFAULT_FRAMES = 4
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_ROOT = "lens2logit"
MARKER = ".lens2logit-sample"  # hidden, so archive readers skip it; tells `--overwrite` the folder is ours
SAMPLE_ENTRIES = {MARKER, f"{ZIP_ROOT}.zip", *DATASET_FOLDERS}


def foreign_files(folder: Path) -> list[str]:
    """What `folder` holds besides a sample archive written here: all of it when it is not one."""
    entries = sorted(path.name for path in folder.iterdir())
    if MARKER not in entries:
        return files_under(folder)
    return [name for name in entries if name not in SAMPLE_ENTRIES]


def write_sample(
    out: Path,
    images: int = MIN_MICROSCOPY_IMAGES,
    seed: int = 0,
    as_zip: bool = False,
    view_dtype: str = "uint8",
    frames: int = DEFAULT_FRAMES,
    full_size: bool = False,
    frame_format: str = "dng",
    overwrite: bool = False,
    authors_format: bool = False,
) -> Path:
    """Write the synthetic archive to `out` (a folder; with `as_zip`, a folder holding one zip), atomically.

    `images` microscopy images; `frames` drone frames (reduced in size unless `full_size`), stored
    as `frame_format` (dng or tiff), with the tiles cut from them. `overwrite` replaces only a
    folder written by this function (it holds the hidden file `MARKER`). `authors_format` writes drone
    tiles and tile masks as the authors' code does (float32 mode-F TIFFs, 1-bit PNGs), same values.
    """
    if seed < 0:
        raise InvalidArgumentError(f"seed must be 0 or more, got {seed}")
    files = itertools.chain(
        microscopy_files(images, seed, view_dtype),
        drone_files(frames, seed, view_dtype, full_size, frame_format, authors_format),
    )
    with staged_output(out, overwrite, foreign_files, "a sample archive written by `lens2logit sample`") as staging:
        (staging / MARKER).write_text("a synthetic archive written by `lens2logit sample`\n", encoding="utf-8")
        if as_zip:
            with zipfile.ZipFile(staging / f"{ZIP_ROOT}.zip", "w", zipfile.ZIP_DEFLATED) as archive_zip:
                for relative, data in files:
                    info = zipfile.ZipInfo(f"{ZIP_ROOT}/{relative}", date_time=ZIP_TIME)
                    info.external_attr = 0o644 << 16
                    # PNGs are compressed already: stored as they are, as zip tools usually do
                    info.compress_type = zipfile.ZIP_STORED if relative.endswith(".png") else zipfile.ZIP_DEFLATED
                    # zlib level 1: half the time of the default 6, 0.4 % larger (the raw TIFFs are sensor noise)
                    archive_zip.writestr(info, data, compresslevel=1)
        else:
            for relative, data in files:
                path = staging / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
    return Path(out)
