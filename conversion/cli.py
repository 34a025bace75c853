"""The `lens2logit` command: make a sample archive, convert an archive, summarise a package."""

import argparse
import logging
import sys
from collections import Counter
from pathlib import Path

from conversion.constants import SPLITS
from conversion.errors import Lens2LogitError

EPILOG = """\
example:
  lens2logit sample /tmp/l2l-archive --zip
  lens2logit convert /tmp/l2l-archive /tmp/l2l-package
  lens2logit summary /tmp/l2l-package
"""


def _sample(args: argparse.Namespace) -> int:
    from conversion.sample import write_sample

    out = write_sample(args.out, images=args.images, seed=args.seed, as_zip=args.zip, view_dtype=args.view_dtype)
    print(f"wrote a synthetic archive of {args.images} microscopy images to {out}")
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
    )
    for problem in report.skipped:
        print(f"allowed (--allow-missing): {problem}", file=sys.stderr)
    for name, info in report.infos.items():
        counts = ", ".join(f"{split} {info.splits[split].num_examples:,}" for split in SPLITS)
        print(f"{name}: {counts} rows; {info.download_size / 2**20:.1f} MiB of Parquet")
    found = differences(report.infos)
    for difference in found:
        print(f"differs from the published archive: {difference}", file=sys.stderr)
    print(f"wrote the package to {args.out}")
    return 1 if args.expect_published and found else 0


def _summary(args: argparse.Namespace) -> int:
    import datasets

    for split, dataset in datasets.load_dataset(str(args.package), args.config).items():
        columns = dataset.select_columns(["image_id", "view", "intensity", "label"]).to_dict()
        views = Counter(dataset.features["view"].int2str(columns["view"]))
        intensities = Counter(f"{value:.2f}" for value in columns["intensity"])
        image_labels = dict(zip(columns["image_id"], dataset.features["label"].int2str(columns["label"]), strict=True))
        labels = Counter(image_labels.values())
        print(f"{args.config}/{split}: {dataset.num_rows:,} rows of {len(image_labels):,} images")
        raw_rows = views.pop("raw", 0)
        per_view = ", ".join(f"{count} in {n} views" for count, n in sorted(Counter(views.values()).items()))
        print(f"  rows per view:      raw {raw_rows}; processed {per_view or 'none'}")
        print("  rows per intensity: " + ", ".join(f"{k} {v}" for k, v in sorted(intensities.items())))
        print("  label counts (images):   " + ", ".join(f"{k} {v}" for k, v in sorted(labels.items())))
    return 0


def _infos(args: argparse.Namespace) -> int:
    from conversion.convert import write_infos
    from conversion.published import published_infos

    write_infos(args.out, published_infos())
    print(f"wrote the published infos to {args.out}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lens2logit",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)

    sample = commands.add_parser("sample", help="write a synthetic archive in the real layout")
    sample.add_argument("out", type=Path, help="new folder to write")
    sample.add_argument("--zip", action="store_true", help="write one zip (members under lens2logit/) in OUT")
    sample.add_argument(
        "--images",
        type=int,
        default=45,
        help="microscopy images (default 45; 940 is the real count)",
    )
    sample.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sample.add_argument(
        "--view-dtype",
        choices=["uint8", "uint16"],
        default="uint8",
        help="processed views as 8-bit PNG (default) or 16-bit TIFF",
    )
    sample.set_defaults(run=_sample)

    convert = commands.add_parser("convert", help="convert the archive into the Hub package")
    convert.add_argument("archive", nargs="+", type=Path, help="extracted folder, .zip file(s), or folder of zips")
    convert.add_argument("out", type=Path, help="package folder to write")
    convert.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
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
    convert.add_argument("--no-progress", action="store_true", help="hide progress bars")
    convert.set_defaults(run=_convert)

    summary = commands.add_parser("summary", help="load a package with load_dataset and print its counts")
    summary.add_argument("package", type=Path)
    summary.add_argument("--config", default="microscopy")
    summary.set_defaults(run=_summary)

    infos = commands.add_parser("infos", help="write the published dataset_infos.json")
    infos.add_argument("out", type=Path)
    infos.set_defaults(run=_infos)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.run(args)
    except Lens2LogitError as error:
        print(f"lens2logit: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
