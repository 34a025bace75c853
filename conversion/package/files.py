"""The files of a package: their names, how to tell a package folder, and what in a folder is not one of them."""

import json
from pathlib import Path, PurePosixPath

import datasets
from datasets.utils.py_utils import asdict

from ..errors import ArchiveNotFoundError, InvalidArgumentError, Lens2LogitError, OutputError, PackageExistsError
from ..facts import SPLITS
from ..output import files_under, write_text_atomically
from .configs import CONFIGS

INFOS_FILE = "dataset_infos.json"
CARD_FILE = "README.md"
CROISSANT_FILE = "croissant.json"
ASSETS = "assets"
UPLOAD_CACHE = ".cache/huggingface"  # huggingface_hub's record of a resumable upload (`lens2logit push`)


def is_package(path: Path) -> bool:
    """A converted package (card + infos), as opposed to an archive."""
    return (path / CARD_FILE).is_file() and (path / INFOS_FILE).is_file()


def package_configs(path: Path) -> list[str]:
    """The configs of the package at `path`, in the order it lists them; an error saying what `path` is otherwise."""
    path = Path(path)
    if not path.exists():
        raise ArchiveNotFoundError(f"{path}: no such folder; give a package written by `lens2logit convert`")
    if not is_package(path):
        raise InvalidArgumentError(
            f"{path}: not a lens2logit package (no {CARD_FILE} and {INFOS_FILE}); "
            f"an archive must be converted first: lens2logit convert {path} OUT"
        )
    try:
        return list(json.loads((path / INFOS_FILE).read_text(encoding="utf-8")))
    except ValueError as exc:
        raise Lens2LogitError(f"{path / INFOS_FILE}: not valid JSON ({exc}); convert the archive again") from None


def _is_package_file(relative: PurePosixPath) -> bool:
    parts = relative.parts
    if str(relative) in (CARD_FILE, INFOS_FILE, CROISSANT_FILE) or str(relative).startswith(UPLOAD_CACHE + "/"):
        return True
    if len(parts) == 2 and parts[0] == ASSETS:
        return relative.suffix == ".png"
    return len(parts) == 3 and parts[0] in CONFIGS and parts[1] in SPLITS and relative.suffix == ".parquet"


def foreign_files(folder: Path) -> list[str]:
    """What `folder` holds besides the files of a lens2logit package: all of it when it is not one."""
    files = files_under(folder)
    if not is_package(folder):
        return files
    return [path for path in files if not _is_package_file(PurePosixPath(path))]


def write_infos(path: Path, infos: dict[str, datasets.DatasetInfo]) -> None:
    """dataset_infos.json: the configs' infos, in config and feature order."""
    text = json.dumps({name: asdict(info) for name, info in sorted(infos.items())}, indent=2)
    write_text_atomically(path, text + "\n")


def is_infos_file(path: Path) -> bool:
    """Whether `path` is a dataset_infos.json: an object of configs, each with its features."""
    try:
        infos = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(infos, dict) and all(isinstance(info, dict) and "features" in info for info in infos.values())


def check_infos_target(path: Path, overwrite: bool) -> None:
    """Refuse to write infos over a folder, over a file without `overwrite`, or over a file that is not infos."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give the file to write, e.g. {path / INFOS_FILE}")
    if not path.exists():
        return
    if not is_infos_file(path):
        raise OutputError(
            f"{path}: is not a dataset_infos.json, so --overwrite would lose what it holds. "
            "Choose another file, or move it away first"
        )
    if not overwrite:
        raise PackageExistsError(f"{path}: already exists; pass --overwrite to replace it")
