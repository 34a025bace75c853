"""The `lens2logit` command line: its commands, their arguments and help."""

import argparse
from importlib.metadata import version
from pathlib import Path

from ..errors import Lens2LogitError
from ..facts import DATASET_FOLDERS, ZENODO_RECORD_ID
from ..package.hub_id import DEFAULT_HUB_ID, check_hub_id
from ..remote.zenodo import DEFAULT_ZENODO_URL, RETRIES, ZENODO_URL_ENV
from ..sample.drone import MIN_FRAMES
from ..sample.microscopy import MIN_MICROSCOPY_IMAGES
from ..sample.writer import DEFAULT_FRAMES
from . import commands, drift_command

DESCRIPTION = "The `lens2logit` command: make a sample archive, convert an archive, check it, summarise a package."
EPILOG = """\
example:
  lens2logit download /tmp/l2l-archive        (the real archive from Zenodo)
  lens2logit sample /tmp/l2l-archive --zip    (or a synthetic one)
  lens2logit check /tmp/l2l-archive
  lens2logit convert /tmp/l2l-archive /tmp/l2l-package
  lens2logit summary /tmp/l2l-package --config drone
  lens2logit drift /tmp/l2l-package --config microscopy --split test --model my_models:build --out /tmp/drift
"""


def _at_least(minimum: int):
    """An argument type: an integer of at least `minimum` (a usage error, exit 2, otherwise)."""

    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {value}")
        return value

    parse.__name__ = "integer"  # argparse names the type in its message for a non-number: "invalid integer value"
    return parse


_non_negative = _at_least(0)


def _non_negative_float(text: str) -> float:
    """An argument type: a float of 0 or more."""
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _hub_id(text: str) -> str:
    try:
        return check_hub_id(text)
    except Lens2LogitError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lens2logit",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"lens2logit {version('lens2logit')}")
    subcommands = parser.add_subparsers(dest="command", required=True)
    _add_sample(subcommands)
    _add_download(subcommands)
    _add_convert(subcommands)
    _add_check(subcommands)
    _add_push(subcommands)
    _add_summary(subcommands)
    _add_infos(subcommands)
    _add_drift(subcommands)
    return parser


def _add_sample(subcommands) -> None:
    sample = subcommands.add_parser("sample", help="write a synthetic archive in the real layout")
    sample.add_argument("out", type=Path, help="folder to write")
    sample.add_argument(
        "--overwrite", action="store_true", help="replace OUT if it is a sample archive written by this command"
    )
    sample.add_argument("--zip", action="store_true", help="write one zip (members under lens2logit/) in OUT")
    sample.add_argument(
        "--images",
        type=_at_least(MIN_MICROSCOPY_IMAGES),
        default=MIN_MICROSCOPY_IMAGES,
        help=f"microscopy images of the 9 classes (default {MIN_MICROSCOPY_IMAGES}, the fewest a split takes; "
        "940 is the real count), plus 3 the authors drop",
    )
    sample.add_argument("--seed", type=_non_negative, default=0, help="random seed, 0 or more (default 0)")
    sample.add_argument(
        "--view-dtype",
        choices=["uint8", "uint16"],
        default="uint8",
        help="processed views as 8-bit PNG (default) or 16-bit TIFF",
    )
    sample.add_argument(
        "--frames",
        type=_at_least(MIN_FRAMES),
        default=DEFAULT_FRAMES,
        help=f"drone full frames (default {DEFAULT_FRAMES}, at least {MIN_FRAMES}; 12 is the real count)",
    )
    sample.add_argument(
        "--full-size", action="store_true", help="drone frames of the real 3648x5472 (default: 640x896)"
    )
    sample.add_argument(
        "--frame-format",
        choices=["dng", "tiff"],
        default="dng",
        help="file type of the drone full frames (default dng)",
    )
    sample.add_argument(
        "--authors-format",
        action="store_true",
        help="drone tiles and tile masks as the authors' code writes them: float32 TIFFs, 1-bit PNGs (same values)",
    )
    sample.set_defaults(run=commands.sample)


def _add_download(subcommands) -> None:
    download = subcommands.add_parser(
        "download", help="download the archive from Zenodo (resumable, size and md5 verified)"
    )
    download.add_argument("dest", type=Path, help="folder to keep the record's files in")
    download.add_argument(
        "--record", type=int, default=ZENODO_RECORD_ID, help=f"record id (default {ZENODO_RECORD_ID})"
    )
    download.add_argument("--only", choices=DATASET_FOLDERS, help="only the files of one dataset")
    download.add_argument(
        "--zenodo-url", help=f"Zenodo base URL (default ${ZENODO_URL_ENV}, else {DEFAULT_ZENODO_URL}), e.g. a mirror"
    )
    download.add_argument(
        "--retries", type=_non_negative, default=RETRIES, help=f"retries per request (default {RETRIES})"
    )
    download.add_argument("--no-progress", action="store_true", help="hide progress bars")
    download.set_defaults(run=commands.download)


def _add_convert(subcommands) -> None:
    convert = subcommands.add_parser("convert", help="convert the archive into the Hub package")
    convert.add_argument(
        "archive", nargs="+", type=Path, help="extracted folder, .zip file(s), or folder of zips (a download folder)"
    )
    convert.add_argument("out", type=Path, help="package folder to write")
    convert.add_argument("--overwrite", action="store_true", help="replace OUT if it is a lens2logit package")
    convert.add_argument(
        "--allow-missing",
        action="store_true",
        help="convert an incomplete archive, reporting what is missing",
    )
    convert.add_argument(
        "--expect-published",
        action="store_true",
        help="exit 1 when counts or features differ from the published archive",
    )
    convert.add_argument(
        "--hub-id",
        type=_hub_id,
        default=DEFAULT_HUB_ID,
        help=f"Hub repository ORG/NAME the card's snippets load (default {DEFAULT_HUB_ID})",
    )
    convert.add_argument("--no-progress", action="store_true", help="hide progress bars")
    convert.set_defaults(run=commands.convert)


def _add_check(subcommands) -> None:
    check = subcommands.add_parser(
        "check",
        help="check a package as the Hub will see it, or an archive: its layout and labels, its drone tiles against "
        "their frames, its stored views against the pipelines",
    )
    check.add_argument(
        "path", nargs="+", type=Path, help="a converted package, or an archive (folder, .zip file(s), folder of zips)"
    )
    check.add_argument("--no-progress", action="store_true", help="hide progress bars")
    check.set_defaults(run=commands.check)


def _add_push(subcommands) -> None:
    push = subcommands.add_parser("push", help="upload a package to a Hub dataset repository (after check passes)")
    push.add_argument("package", type=Path, help="a package folder written by convert")
    push.add_argument("--repo", required=True, type=_hub_id, help="dataset repository ORG/NAME (created if missing)")
    push.add_argument("--token", help="Hub token (default: the logged-in one, or $HF_TOKEN)")
    push.add_argument("--private", action="store_true", help="create the repository private")
    push.set_defaults(run=commands.push)


def _add_summary(subcommands) -> None:
    summary = subcommands.add_parser("summary", help="load a package with load_dataset and print its counts")
    summary.add_argument("package", type=Path, help="a package folder written by convert")
    summary.add_argument("--config", help="config to load (default: microscopy if the package has it, else its first)")
    summary.add_argument("--cache-dir", help="datasets cache folder (default: the datasets cache)")
    summary.set_defaults(run=commands.summary)


def _add_infos(subcommands) -> None:
    infos = subcommands.add_parser("infos", help="write the published dataset_infos.json")
    infos.add_argument("out", type=Path, help="file to write")
    infos.add_argument("--overwrite", action="store_true", help="replace OUT if it is a dataset_infos.json")
    infos.set_defaults(run=commands.infos)


def _add_drift(subcommands) -> None:
    drift = subcommands.add_parser(
        "drift",
        help="evaluate a model over every intensity and pipeline of a split: drift.csv, drift.json, heatmaps",
        epilog="MODULE:CALLABLE is imported (a module, or a .py file) and called with no arguments; it returns a "
        "model or a dict of models by name. A TorchScript file (.pt) is taken too. With --search, the processing "
        "numbers that break the model most are searched instead (drift.search, one model, one pipeline and "
        "intensity): search.csv, search.json and a plot of the metric against the penalty weight.",
    )
    drift.add_argument("package", help="a package folder, or a Hub id ORG/NAME")
    drift.add_argument("--config", default="microscopy", help="microscopy (default), drone or drone_classification")
    drift.add_argument("--split", default="test", help="the split to evaluate (default test)")
    drift.add_argument("--model", required=True, help="MODULE:CALLABLE returning a model or a dict of them, or a .pt")
    drift.add_argument("--out", required=True, type=Path, help="folder to write the report into")
    drift.add_argument("--overwrite", action="store_true", help="replace OUT if it holds a drift report only")
    drift.add_argument("--intensities", nargs="+", type=float, help="intensities to evaluate (default all 7)")
    drift.add_argument("--pipelines", nargs="+", help="pipelines to evaluate (default all 12)")
    drift.add_argument("--rows", choices=["raw", "views"], default="raw", help="views: also the stored views at 1.00")
    drift.add_argument("--inputs", choices=["rgb", "raw"], default="rgb", help="raw: models take the mosaics")
    drift.add_argument("--device", default="cpu", help="torch device, e.g. cuda (default cpu)")
    drift.add_argument("--batch-size", type=_at_least(1), default=32, help="raw rows a batch (default 32)")
    drift.add_argument("--resamples", type=_at_least(1), default=1000, help="bootstrap resamples (default 1000)")
    drift.add_argument("--seed", type=_non_negative, default=0, help="seed of the bootstrap (default 0)")
    drift.add_argument("--cache-dir", help="datasets cache folder (default: the datasets cache)")
    drift.add_argument("--no-progress", action="store_true", help="hide progress bars")
    search = drift.add_argument_group("search (drift forensics)")
    search.add_argument(
        "--search",
        nargs="+",
        metavar="PARAMS",
        help="search these processing numbers instead: black_level, white_balance, colour_matrix, gamma, "
        "sharpening, denoising, or all",
    )
    search.add_argument(
        "--weight", nargs="+", type=_non_negative_float, default=[1.0], help="penalty weight(s) lambda (default 1)"
    )
    search.add_argument("--penalty", choices=["l2", "ssim"], default="l2", help="distance to the default (default l2)")
    search.add_argument("--steps", type=_at_least(1), default=100, help="Adam steps of each search (default 100)")
    search.add_argument("--lr", type=float, default=0.01, help="Adam's learning rate (default 0.01)")
    drift.set_defaults(run=drift_command.drift)
