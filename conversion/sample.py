"""A synthetic miniature of the Lens2Logit archive in the real layout, names, dtypes and value ranges."""

import itertools
import shutil
import tempfile
import zipfile
from pathlib import Path

from conversion.errors import PackageExistsError
from conversion.sample_drone import drone_files
from conversion.sample_microscopy import MIN_MICROSCOPY_IMAGES, microscopy_files

DEFAULT_FRAMES = 4
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_ROOT = "lens2logit"


def write_sample(
    out: Path,
    images: int = MIN_MICROSCOPY_IMAGES,
    seed: int = 0,
    as_zip: bool = False,
    view_dtype: str = "uint8",
    frames: int = DEFAULT_FRAMES,
    full_size: bool = False,
    frame_format: str = "dng",
) -> Path:
    """Write the synthetic archive to `out` (a folder; with `as_zip`, a folder holding one zip).

    `images` microscopy images; `frames` drone frames (reduced in size unless `full_size`), stored
    as `frame_format` (dng or tiff), with the tiles cut from them.
    """
    out = Path(out)
    if out.exists():
        raise PackageExistsError(f"{out}: already exists; choose a new folder or remove it")
    files = itertools.chain(
        microscopy_files(images, seed, view_dtype), drone_files(frames, seed, view_dtype, full_size, frame_format)
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        if as_zip:
            with zipfile.ZipFile(staging / f"{ZIP_ROOT}.zip", "w", zipfile.ZIP_DEFLATED) as archive_zip:
                for relative, data in files:
                    info = zipfile.ZipInfo(f"{ZIP_ROOT}/{relative}", date_time=ZIP_TIME)
                    info.external_attr = 0o644 << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive_zip.writestr(info, data)
        else:
            for relative, data in files:
                path = staging / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out
