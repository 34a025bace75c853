"""Folder names of the archive: intensity folders and processed-view (pipeline) folders."""

import re

from .errors import ArchiveLayoutError
from .facts import DEMOSAICING, DENOISING, INTENSITIES, PROCESSED_VIEWS, SHARPENING

_INTENSITY_FOLDER = re.compile(r"raw_scale(\d+)", re.IGNORECASE)
_SEPARATORS = re.compile(r"[-_ ]+")


def intensity_folder(intensity: float) -> str:
    """The canonical folder (and condition) name of an intensity: 0.05 -> `raw_scale005`."""
    return f"raw_scale{round(100 * intensity):03d}"


def condition_order() -> tuple[str, ...]:
    """Every condition name in the package's row order (contract v2): the raw captures from full
    intensity down, then the processed views in canonical order."""
    return (*(intensity_folder(i) for i in sorted(INTENSITIES, reverse=True)), *PROCESSED_VIEWS)


def shard_stem(condition: str) -> str:
    """The start of a condition's shard file names: its rank in `condition_order`, so that file names
    sort in row order (the Hub viewer shows rows in file-name order), then its name."""
    return f"{condition_order().index(condition):02d}-{condition}"


def shard_glob(config: str, split: str, condition: str) -> str:
    """A condition's shards in a package, as a `data_files=` pattern: `microscopy/train/02-raw_scale050-*.parquet`."""
    return f"{config}/{split}/{shard_stem(condition)}-*.parquet"


def is_intensity_folder(name: str) -> bool:
    """Whether `name` is spelled as an intensity folder (`raw_scaleXXX`), whatever its number."""
    return _INTENSITY_FOLDER.fullmatch(name) is not None


def parse_intensity_folder(name: str, where: str) -> float:
    """The intensity of a `raw_scaleXXX` folder; `raw_scale0075` is read as 0.75."""
    match = _INTENSITY_FOLDER.fullmatch(name)
    intensity = int(match.group(1)) / 100 if match else None
    if intensity not in INTENSITIES:
        known = ", ".join(intensity_folder(i) for i in INTENSITIES)
        raise ArchiveLayoutError(f"{where}: folder {name!r} is not an intensity folder ({known})")
    return intensity


def _spellings() -> dict[str, str]:
    """Every accepted pipeline folder spelling (normalised) -> canonical view name."""
    spellings = {}
    for demosaicing in DEMOSAICING:
        for sharpening in SHARPENING:
            for denoising in DENOISING:
                canonical = f"{demosaicing}-{sharpening}-{denoising}"
                short_denoising = denoising.removesuffix("_denoising")
                for name in (
                    f"{demosaicing}_{sharpening}_{denoising}",
                    f"{demosaicing}_{sharpening}_{short_denoising}",
                    demosaicing[:2] + sharpening[0] + denoising[:2],
                ):
                    spellings[_normalise(name)] = canonical
    return spellings


def _normalise(name: str) -> str:
    return _SEPARATORS.sub("_", name.strip().lower())


_VIEW_SPELLINGS = _spellings()


def canonical_view(folder: str, where: str) -> str:
    """Map a processed-view folder name to `<demosaicing>-<sharpening>-<denoising>`."""
    try:
        return _VIEW_SPELLINGS[_normalise(folder)]
    except KeyError:
        raise ArchiveLayoutError(
            f"{where}: cannot tell which pipeline folder {folder!r} holds. Understood: the three "
            f"long names joined by '_', '-' or spaces (demosaicing {'/'.join(DEMOSAICING)}, "
            f"sharpening {'/'.join(SHARPENING)}, denoising {'/'.join(DENOISING)}, '_denoising' "
            "optional), or the five-letter code such as 'bisga' (bilinear, sharpening_filter, "
            "gaussian) or 'meume' (menon2007, unsharp_masking, median). Rename the folder."
        ) from None
