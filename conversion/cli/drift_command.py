"""`lens2logit drift`: a model's drift report, or with `--search` the search curve of the processing that breaks it."""

import argparse
from pathlib import Path

from ..errors import InvalidArgumentError, import_optional
from .commands import load


def drift(args: argparse.Namespace) -> int:
    """A drift report of the models over the split's conditions, written into `--out`."""
    import_optional("torch", "torch", "lens2logit drift")
    from ..drift.evaluation import evaluate
    from ..drift.files import report_folder, write
    from ..drift.models import load_models

    local = Path(args.package).exists()
    models = load_models(args.model)
    if args.search:
        return _search(args, models, local)
    split = load(args.package, args.config, args.split, args.cache_dir)
    with report_folder(args.out, args.overwrite, inputs=[Path(args.package)] if local else []) as folder:
        report = evaluate(
            models,
            split,
            intensities=args.intensities,
            pipelines=args.pipelines,
            rows=args.rows,
            inputs=args.inputs,
            device=args.device,
            batch_size=args.batch_size,
            resamples=args.resamples,
            seed=args.seed,
            progress=not args.no_progress,
            source=str(Path(args.package).resolve()) if local else args.package,
        )
        written = write(report, folder)
    print(report)
    print(f"wrote {', '.join(written)} to {args.out}")
    return 0


def _search(args: argparse.Namespace, model, local: bool) -> int:
    """`drift --search`: drift.search_curve over the weights given, for one model, pipeline and intensity."""
    from ..drift.files import report_folder, write_search
    from ..drift.search import AUTHORS_PIPELINE, search_curve

    if isinstance(model, dict) and len(model) != 1:
        raise InvalidArgumentError(f"--search takes one model, {args.model} gave {len(model)}: {', '.join(model)}")
    model = next(iter(model.values())) if isinstance(model, dict) else model
    for option, values in (("--pipelines", args.pipelines), ("--intensities", args.intensities)):
        if values and len(values) != 1:
            raise InvalidArgumentError(f"--search searches one pipeline at one intensity: give {option} one value")
    if args.rows != "raw" or args.inputs != "rgb":
        raise InvalidArgumentError(
            "--search processes the raw rows for models that take RGB: leave --rows and --inputs out"
        )
    split = load(args.package, args.config, args.split, args.cache_dir)
    with report_folder(args.out, args.overwrite, inputs=[Path(args.package)] if local else []) as folder:
        curve = search_curve(
            model,
            split,
            (args.pipelines or [AUTHORS_PIPELINE])[0],
            weights=args.weight,
            parameters=args.search,
            penalty=args.penalty,
            steps=args.steps,
            lr=args.lr,
            intensity=(args.intensities or [1.0])[0],
            device=args.device,
            batch_size=args.batch_size,
            resamples=args.resamples,
            seed=args.seed,
            progress=not args.no_progress,
        )
        written = write_search(curve, folder)
    print(curve)
    print(f"wrote {', '.join(written)} to {args.out}")
    return 0
