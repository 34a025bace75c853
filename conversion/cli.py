"""The `lens2logit` command: make a sample archive, convert an archive, check it, summarise a package."""

import argparse
import logging
import signal
import sys
from collections import Counter
from pathlib import Path

from conversion.archive import DATASET_FOLDERS
from conversion.card import DEFAULT_HUB_ID
from conversion.configs import CONFIG_NAMES
from conversion.constants import SPLITS, ZENODO_RECORD_ID
from conversion.errors import Lens2LogitError
from conversion.zenodo import DEFAULT_ZENODO_URL, RETRIES, ZENODO_URL_ENV

EPILOG = """\
example:
  lens2logit download /tmp/l2l-archive        (the real archive from Zenodo)
  lens2logit sample /tmp/l2l-archive --zip    (or a synthetic one)
  lens2logit check /tmp/l2l-archive
  lens2logit convert /tmp/l2l-archive /tmp/l2l-package
  lens2logit summary /tmp/l2l-package --config drone
"""


def _sample(args: argparse.Namespace) -> int:
    from conversion.sample import write_sample
    from conversion.sample_microscopy import DROPPED_IMAGES

    out = write_sample(
        args.out,
        images=args.images,
        seed=args.seed,
        as_zip=args.zip,
        view_dtype=args.view_dtype,
        frames=args.frames,
        full_size=args.full_size,
        frame_format=args.frame_format,
        overwrite=args.overwrite,
        authors_format=args.authors_format,
    )
    print(
        f"wrote a synthetic archive of {args.images} microscopy images of the 9 classes (and {DROPPED_IMAGES} "
        f"with codes the authors drop) and {args.frames} drone frames to {out}"
    )
    return 0


def _convert(args: argparse.Namespace) -> int:
    from conversion.convert import convert
    from conversion.published import differences

    report = convert(
        args.archive,
        args.out,
        overwrite=args.overwrite,
        allow_missing=args.allow_missing,
        progress=not args.no_progress,
        hub_id=args.hub_id,
    )
    for problem in report.skipped:
        print(f"allowed (--allow-missing): {problem}", file=sys.stderr)
    for name in report.absent:
        print(f"not converted: config {name} (its folder is not in the archive)", file=sys.stderr)
    for part in report.unread:
        print(f"not converted: {part} (no config reads it)", file=sys.stderr)
    for name, info in report.infos.items():
        counts = ", ".join(f"{split} {info.splits[split].num_examples:,}" for split in SPLITS)
        size = info.download_size / 2**20
        print(f"{name}: {counts} rows; {size:.1f} MiB of Parquet; {report.seconds[name]:.1f} s")
    if report.authors is not None:
        _print_authors(report.authors)
    found = differences(report.infos)
    if found:
        print("compared with the published archive (expected for a sample or a partial archive):")
        print("\n".join(f"  {difference}" for difference in found))
    print(f"wrote the package to {args.out}")
    if args.expect_published and found:
        print("lens2logit: error: --expect-published: the package differs from the published archive", file=sys.stderr)
        return 1
    return 0


def _download(args: argparse.Namespace) -> int:
    from conversion.zenodo import download

    paths = download(
        args.dest,
        record_id=args.record,
        only=args.only,
        base_url=args.zenodo_url,
        progress=not args.no_progress,
        retries=args.retries,
    )
    size = sum(path.stat().st_size for path in paths)
    print(f"{len(paths)} verified file(s), {size / 2**20:,.1f} MiB, in {args.dest}")
    print(f"next: lens2logit convert {args.dest} OUT")
    return 0


def _push(args: argparse.Namespace) -> int:
    from conversion.push import push

    url = push(args.package, args.repo, token=args.token, private=args.private)
    print(f"pushed {args.package} to {url}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from conversion.archive import Archive
    from conversion.archive_check import check_archive
    from conversion.package_check import is_package

    if len(args.path) == 1 and is_package(args.path[0]):
        return _check_package(args.path[0])
    with Archive(args.path) as archive:
        report = check_archive(archive, args.path, progress=not args.no_progress)
    for problem in report.problems:
        print(problem, file=sys.stderr)
    rows = ", ".join(f"{name} {count:,} rows" for name, count in report.rows.items())
    print(f"layout: {rows}: files checked against the archive layout")
    for part in report.unread:
        print(f"not checked: {part} (no config reads it)")
    if report.authors is not None:
        _print_authors(report.authors)
    for views in report.views:
        _print_views(views)
    tiling = report.tiling
    if tiling is None:
        print("tiling: not checked (it needs both drone/images_tiles_256/ and drone/images_full/)")
        return 1 if report.problems else 0
    frames = Counter(image_id.split("_")[0] for image_id in tiling.positions)
    print(
        f"tiling: {tiling.matched} of {tiling.compared} tile captures equal a 256-grid cell of their full frame "
        f"({_count(len(tiling.positions), 'tile')} of {_count(len(frames), 'frame')}); "
        f"{tiling.masks_matched} of {tiling.masks_compared} tile masks equal their cell of the frame mask"
    )
    print(f"frame numbering: the NN of a tile's name is {report.numbering}")
    return 1 if report.problems or not tiling.compared else 0


def _print_views(views) -> None:
    """The largest difference between the stored views and the pipelines, per pipeline."""
    print(
        f"{views.config} processed views vs the pipelines on raw_scale100, {_count(views.images, 'image')}, largest "
        f"difference (full scale 1; rounding explains up to {views.quantum:.1e}); unsharp masking follows the "
        f"{'per-column (scikit-image 0.18.1)' if views.unsharp_follows() == 'columns' else '2-D'} variant:"
    )
    for line in views.lines():
        print(f"  {line}")


def _print_authors(authors) -> None:
    """What the authors' classification files in the archive were compared with (differences on stderr)."""
    for difference in authors.differences:
        print(f"differs from the authors' classification files: {difference}", file=sys.stderr)
    if not authors.compared:
        print("drone_classification: the archive holds no classification files of the authors to compare with")
    for line in authors.compared:
        print(f"drone_classification compared with the authors' files: {line}")


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _check_package(package: Path) -> int:
    from conversion.package_check import check_package

    report = check_package(package)
    for problem in report.problems:
        print(problem, file=sys.stderr)
    rows = ", ".join(f"{name} {count:,}" for name, count in report.rows.items())
    verdict = f"{len(report.problems)} problem(s)" if report.problems else "ok"
    print(f"package {package}: {verdict}; {report.shards} shards, {report.previews:,} previews decoded; rows: {rows}")
    return 1 if report.problems else 0


def _summary(args: argparse.Namespace) -> int:
    import datasets

    from conversion.package_check import package_configs

    configs = package_configs(args.package)
    name = args.config or next((name for name in CONFIG_NAMES if name in configs), configs[0])
    if name not in configs:
        raise Lens2LogitError(f"{args.package}: has no config {name!r}; its configs are {', '.join(configs)}")
    loaded = datasets.load_dataset(str(args.package), name, cache_dir=args.cache_dir)
    for split, dataset in loaded.items():
        present = [c for c in ("image_id", "frame_id", "view", "intensity", "annotation") if c in dataset.features]
        columns = dataset.select_columns(present).to_dict()
        images = set(columns["image_id"])
        print(f"{name}/{split}: {_count(dataset.num_rows, 'row')} of {_count(len(images), 'image')}")
        if "frame_id" in columns:
            print("  frames:             " + ", ".join(map(str, sorted(set(columns["frame_id"])))))
        if "view" in columns:
            views = Counter(dataset.features["view"].int2str(columns["view"]))
            raw_rows = views.pop("raw", 0)
            per_view = ", ".join(f"{count} in {n} views" for count, n in sorted(Counter(views.values()).items()))
            print(f"  rows per view:      raw {raw_rows}; processed {per_view or 'none'}")
        intensities = Counter(f"{value:.2f}" for value in columns["intensity"])
        print("  rows per intensity: " + ", ".join(f"{k} {v}" for k, v in sorted(intensities.items())))
        if "annotation" in columns:
            codes = Counter(dict(zip(columns["image_id"], columns["annotation"], strict=True)).values())
            print("  annotations (images): " + ", ".join(f"{code} {count}" for code, count in sorted(codes.items())))
    return 0


def _infos(args: argparse.Namespace) -> int:
    from conversion.convert import write_infos
    from conversion.published import published_infos

    write_infos(args.out, published_infos())
    print(f"wrote the published infos to {args.out}")
    return 0


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _hub_id(text: str) -> str:
    from conversion.card import check_hub_id

    try:
        return check_hub_id(text)
    except Lens2LogitError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lens2logit",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)

    sample = commands.add_parser("sample", help="write a synthetic archive in the real layout")
    sample.add_argument("out", type=Path, help="folder to write")
    sample.add_argument(
        "--overwrite", action="store_true", help="replace OUT if it is a sample archive written by this command"
    )
    sample.add_argument("--zip", action="store_true", help="write one zip (members under lens2logit/) in OUT")
    sample.add_argument(
        "--images",
        type=int,
        default=45,
        help="microscopy images of the 9 classes (default 45; 940 is the real count), plus 3 the authors drop",
    )
    sample.add_argument("--seed", type=_non_negative, default=0, help="random seed, 0 or more (default 0)")
    sample.add_argument(
        "--view-dtype",
        choices=["uint8", "uint16"],
        default="uint8",
        help="processed views as 8-bit PNG (default) or 16-bit TIFF",
    )
    sample.add_argument("--frames", type=int, default=4, help="drone full frames (default 4; 12 is the real count)")
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
    sample.set_defaults(run=_sample)

    download = commands.add_parser(
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
    download.set_defaults(run=_download)

    convert = commands.add_parser("convert", help="convert the archive into the Hub package")
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
    convert.set_defaults(run=_convert)

    check = commands.add_parser(
        "check",
        help="check a package as the Hub will see it, or that an archive's drone tiles are cut from their frames",
    )
    check.add_argument(
        "path", nargs="+", type=Path, help="a converted package, or an archive (folder, .zip file(s), folder of zips)"
    )
    check.add_argument("--no-progress", action="store_true", help="hide progress bars")
    check.set_defaults(run=_check)

    push = commands.add_parser("push", help="upload a package to a Hub dataset repository (after check passes)")
    push.add_argument("package", type=Path)
    push.add_argument("--repo", required=True, type=_hub_id, help="dataset repository ORG/NAME (created if missing)")
    push.add_argument("--token", help="Hub token (default: the logged-in one, or $HF_TOKEN)")
    push.add_argument("--private", action="store_true", help="create the repository private")
    push.set_defaults(run=_push)

    summary = commands.add_parser("summary", help="load a package with load_dataset and print its counts")
    summary.add_argument("package", type=Path)
    summary.add_argument("--config", help="config to load (default: microscopy if the package has it, else its first)")
    summary.add_argument("--cache-dir", help="datasets cache folder (default: the datasets cache)")
    summary.set_defaults(run=_summary)

    infos = commands.add_parser("infos", help="write the published dataset_infos.json")
    infos.add_argument("out", type=Path)
    infos.set_defaults(run=_infos)
    return parser


class Stopped(KeyboardInterrupt):
    """A termination signal, handled like Ctrl-C: staging folders are removed on the way out."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame) -> None:
    raise Stopped(signum)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("conversion").setLevel(logging.INFO)  # ours at INFO; libraries' request logs stay quiet
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        return args.run(args)
    except Lens2LogitError as error:
        print(f"lens2logit: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # a folder that cannot be written, a full disk, a missing path
        where = f"{error.filename}: " if error.filename else ""
        print(f"lens2logit: error: {where}{error.strerror or error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stop:
        signum = getattr(stop, "signum", signal.SIGINT)
        print(f"lens2logit: stopped by {signal.Signals(signum).name}", file=sys.stderr)
        return 128 + signum
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
