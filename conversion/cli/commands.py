"""What each `lens2logit` command does, and how it reports."""

import argparse
import sys
from collections import Counter
from pathlib import Path

from ..errors import InvalidArgumentError
from ..facts import SPLITS
from ..package.configs import CONFIGS


def sample(args: argparse.Namespace) -> int:
    from ..sample.microscopy import DROPPED_IMAGES
    from ..sample.writer import write_sample

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


def convert(args: argparse.Namespace) -> int:
    from ..package.convert import convert
    from ..package.published import differences

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


def download(args: argparse.Namespace) -> int:
    from ..remote.zenodo import download

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


def push(args: argparse.Namespace) -> int:
    from ..remote.push import push

    url = push(args.package, args.repo, token=args.token, private=args.private)
    print(f"pushed {args.package} to {url}")
    return 0


def check(args: argparse.Namespace) -> int:
    from ..archive.reader import Archive
    from ..package.archive_check import check_archive
    from ..package.files import is_package

    if len(args.path) == 1 and is_package(args.path[0]):
        return _check_package(args.path[0])
    with Archive(args.path) as archive:
        report = check_archive(archive, args.path, progress=not args.no_progress)
    code = _print_archive_report(report)
    verdict = f"{max(len(report.problems), 1)} problem(s)" if code else "ok"
    print(f"archive {' '.join(map(str, args.path))}: {verdict}")
    return code


def _print_archive_report(report) -> int:
    """What `check ARCHIVE` checked, line by line (problems on stderr); the exit code."""
    for problem in report.problems:
        print(problem, file=sys.stderr)
    rows = ", ".join(f"{name} {count:,} rows" for name, count in report.rows.items())
    print(f"layout: {rows}: files checked against the archive layout")
    print(f"decoded: {_count(report.decoded, 'image file')} at every intensity, as convert reads them")
    for part in report.unread:
        print(f"not checked: {part} (no config reads it)")
    if report.authors is not None:
        _print_authors(report.authors)
    for views in report.views:
        _print_views(views)
    tiling = report.tiling
    if report.unreadable:
        print(f"views and tiling: not checked, since {_count(len(report.unreadable), 'file')} did not decode")
        return 1
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
    from ..package.check import check_package

    report = check_package(package)
    for problem in report.problems:
        print(problem, file=sys.stderr)
    rows = ", ".join(f"{name} {count:,}" for name, count in report.rows.items())
    verdict = f"{len(report.problems)} problem(s)" if report.problems else "ok"
    print(f"package {package}: {verdict}; {report.shards} shards, {report.previews:,} previews decoded; rows: {rows}")
    return 1 if report.problems else 0


def summary(args: argparse.Namespace) -> int:

    from ..package.check import check_shards
    from ..package.files import package_configs

    configs = package_configs(args.package)
    name = args.config or next((name for name in CONFIGS if name in configs), configs[0])
    if name not in configs:
        raise InvalidArgumentError(f"{args.package}: has no config {name!r}; its configs are {', '.join(configs)}")
    check_shards(args.package, name)
    loaded = load(args.package, name, None, args.cache_dir)
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
            per_view = ", ".join(
                f"{count} in {'each of ' if n > 1 else ''}{_count(n, 'view')}"
                for count, n in sorted(Counter(views.values()).items())
            )
            print(f"  rows per view:      raw {raw_rows}, at every intensity; processed {per_view or 'none'}, at 1.00")
        intensities = Counter(f"{value:.2f}" for value in columns["intensity"])
        line = "  rows per intensity: " + ", ".join(f"{k} {v}" for k, v in sorted(intensities.items()))
        print(line + (" (1.00: the raw rows and the processed views)" if "view" in columns else ""))
        if "annotation" in columns:
            codes = Counter(dict(zip(columns["image_id"], columns["annotation"], strict=True)).values())
            print("  annotations (images): " + ", ".join(f"{code} {count}" for code, count in sorted(codes.items())))
    return 0


def load(package, config: str, split: str | None, cache_dir: str | None):
    """`load_dataset` of a package folder (whose files datasets' bar would call "Downloading data") or Hub id."""
    import datasets

    desc = "Opening local data files" if Path(package).exists() else None
    download = datasets.DownloadConfig(download_desc=desc, cache_dir=cache_dir)
    return datasets.load_dataset(str(package), config, split=split, cache_dir=cache_dir, download_config=download)


def infos(args: argparse.Namespace) -> int:
    from ..package.files import check_infos_target, write_infos
    from ..package.published import published_infos

    check_infos_target(args.out, args.overwrite)
    write_infos(args.out, published_infos())
    print(f"wrote the published infos to {args.out}")
    return 0
