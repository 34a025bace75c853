"""`evaluate`: one model, or several, over the intensities and pipelines of a split, with intervals."""

from collections.abc import Callable, Sequence
from importlib.metadata import version

import datasets
import numpy as np
import pandas as pd

from ..errors import ArgumentTypeError, InvalidArgumentError
from ..facts import DATA_VERSION, INTENSITIES
from ..processing.recipe import PIPELINES, check_unsharp
from . import bootstrap
from .metrics import Metric, metric_values
from .passes import Grid, Pass
from .report import COLUMNS, DriftReport
from .tasks import RAW_INPUTS, SEGMENTATION, STORED, task_of

INPUTS = ("rgb", "raw")
ROWS = ("raw", "views")


def evaluate(
    model,
    split,
    *,
    intensities: Sequence[float] | None = None,
    pipelines: Sequence[str] | None = None,
    rows: str = "raw",
    inputs: str = "rgb",
    unsharp: str = "columns",
    transform: Callable | None = None,
    device="cpu",
    batch_size: int = 32,
    metrics: dict[str, Metric | Callable] | None = None,
    reference: tuple[float, str] | dict[str, tuple[float, str]] | None = None,
    confidence: float = 0.95,
    resamples: int = 1000,
    seed: int = 0,
    progress: bool = True,
    source: str | None = None,
) -> DriftReport:
    """A model's metrics on one split of `microscopy`, `drone` or `drone_classification` at every condition:
    each intensity x each pipeline, computed on the fly from the raw rows by the torch port of `process`.

    Each batch of raw rows is read once and processed once per pipeline for all the models given, so many
    models cost one processing pass. A model gets float32 (B, 3, H, W) RGB in [0, 1] (after `transform`),
    on `device`, in `eval()` mode (restored after), under `torch.no_grad()`. Classification images whose
    label is -1 (the ones the authors exclude) are left out and counted. Every value has a seeded
    percentile bootstrap interval over images, and a paired difference (`delta`, the same resampled images)
    to the model's reference condition.

    Args:
        model: an `nn.Module` or any callable that returns logits, or a dict of them by name: (B, C) for
            classification; (B, 1, H, W) or (B, H, W) for segmentation (a pixel is found where its sigmoid
            exceeds 0.5).
        split: one split of a loaded (or streamed) config.
        intensities: the intensities to evaluate (default all 7).
        pipelines: the pipelines (default all 12, `PIPELINES`).
        rows: `"raw"` (conditions computed from raw rows) or `"views"`: also the archive's stored views at
            1.00, as pipelines `stored:<view>`.
        inputs: `"rgb"`, or `"raw"` for models that process mosaics themselves: (B, H, W) float32 mosaics
            normalised to [0, 1], one condition per intensity, pipeline `raw`.
        unsharp: the unsharp-masking variant, `"columns"` (the authors') or `"2d"`.
        transform: applied to each (B, 3, H, W) batch before the models, e.g. ImageNet normalisation.
        device: where processing and models run, e.g. `"cuda"`; modules are moved there.
        batch_size: raw rows read and processed at once.
        metrics: more metrics by name (`Metric`, or a function taking labels).
        reference: the condition each `delta` is taken against, `(intensity, pipeline)`, or a dict of them by
            model name (default `(1.0, <the first pipeline>)`, `(1.0, "raw")` for raw inputs).
        confidence: of the intervals.
        resamples: bootstrap resamples (each a draw of the images with replacement).
        seed: of the resamples: the same call gives the same table.
        progress: a progress bar over conditions.
        source: where the split was loaded from (a package folder or Hub id), recorded in `to_json`.

    Returns:
        A `DriftReport`: `.table`, one row per (model, intensity, pipeline, metric), `.summary()`, plots.

    Raises:
        InvalidArgumentError: an unknown intensity, pipeline, option or reference, a split without labels or
            masks, or logits of a shape the task does not take (the message names the shape expected).
        ArgumentTypeError: `split` is not one split of a dataset, or a model is not callable.

    Examples:
        >>> import datasets, numpy as np, torch
        >>> from lens2logit import drift
        >>> features = datasets.Features({
        ...     "image_id": datasets.Value("string"), "label": datasets.ClassLabel(names=["dark", "bright"]),
        ...     "intensity": datasets.Value("float64"), "raw": datasets.Array2D((4, 4), "uint16")})
        >>> mosaics = [np.full((4, 4), value, np.uint16) for value in (100, 200, 30000, 40000)]
        >>> split = datasets.Dataset.from_dict(
        ...     {"image_id": list("abcd"), "label": [0, 0, 1, 1], "intensity": [1.0] * 4, "raw": mosaics},
        ...     features=features)
        >>> def brightness(rgb):  # logits of dark and bright by the mean of the image
        ...     mean = rgb.mean((1, 2, 3))
        ...     return torch.stack([0.5 - mean, mean - 0.5], dim=1)
        >>> report = drift.evaluate(
        ...     brightness, split, intensities=[1.0], pipelines=["menon2007-unsharp_masking-median_denoising"],
        ...     progress=False)
        >>> report.table[["intensity", "metric", "value", "low", "high", "n", "delta"]]
           intensity    metric  value  low  high  n  delta
        0        1.0  accuracy    1.0  1.0   1.0  4    0.0
        1        1.0     auroc    1.0  1.0   1.0  4    0.0
    """
    if not isinstance(split, (datasets.Dataset, datasets.IterableDataset)):
        raise ArgumentTypeError(f"evaluate takes one split of a dataset, got {type(split).__name__}")
    task = task_of(split.features)
    models = _named(model)
    grid = conditions_grid(task, intensities, pipelines, rows, inputs)
    check_unsharp(unsharp)
    bootstrap.check(confidence, resamples)
    extra = _metrics(metrics, task)
    references = _references(reference, models, grid)
    modules = {name: m.training for name, m in models.items() if hasattr(m, "train") and hasattr(m, "training")}
    for name in modules:
        models[name].to(device).eval()
    run = Pass(models, task, grid, extra, transform=transform, device=device, unsharp=unsharp)
    try:
        outputs = run.run(split, batch_size, progress)
    finally:
        for name, training in modules.items():
            models[name].train(training)
    if not run.images:
        raise InvalidArgumentError("the split holds no labelled raw rows at the intensities asked for")
    drawn = bootstrap.draws(len(run.images), resamples, seed)
    table = _table(task, models, grid, outputs, drawn, extra, references, confidence)
    evaluated = {
        "config": split.info.config_name,
        "split": str(split.split) if split.split is not None else None,
        "source": source,
        "task": task.kind,
        "images": len(run.images),
        "excluded_images": len(run.excluded),
        "models": list(models),
        "reference": {name: {"intensity": i, "pipeline": p} for name, (i, p) in references.items()},
        "intensities": list(grid.intensities),
        "pipelines": list(grid.pipelines) + [STORED + view for view in grid.stored],
        "unsharp": unsharp,
        "confidence": confidence,
        "resamples": resamples,
        "seed": seed,
        "lens2logit_version": version("lens2logit"),
        "data_version": DATA_VERSION,
    }
    return DriftReport(table, evaluated)


def _named(model) -> dict[str, Callable]:
    models = dict(model) if isinstance(model, dict) else {"model": model}
    if not models:
        raise InvalidArgumentError("no model given: pass a model or a dict of models by name")
    for name, each in models.items():
        if not callable(each):
            raise ArgumentTypeError(f"model {name!r} is a {type(each).__name__}, not a callable returning logits")
    return {str(name): each for name, each in models.items()}


def conditions_grid(task, intensities, pipelines, rows: str, inputs: str) -> Grid:
    if inputs not in INPUTS:
        raise InvalidArgumentError(f"inputs must be one of {INPUTS}, got {inputs!r}")
    if rows not in ROWS:
        raise InvalidArgumentError(f"rows must be one of {ROWS}, got {rows!r}")
    chosen = INTENSITIES if intensities is None else tuple(intensities)
    unknown = [value for value in chosen if not any(np.isclose(value, known) for known in INTENSITIES)]
    if unknown or not chosen:
        raise InvalidArgumentError(f"intensities are some of {', '.join(map(str, INTENSITIES))}; got {chosen}")
    chosen = tuple(next(known for known in INTENSITIES if np.isclose(value, known)) for value in chosen)
    if inputs == "raw":
        if pipelines is not None or rows != "raw":
            raise InvalidArgumentError("inputs='raw' gives models the mosaics: leave pipelines and rows out")
        return Grid(chosen, (RAW_INPUTS,), ())
    pipelines = PIPELINES if pipelines is None else tuple(pipelines)
    if not pipelines or set(pipelines) - set(PIPELINES):
        raise InvalidArgumentError(f"pipelines are some of {', '.join(PIPELINES)}; got {pipelines}")
    if rows == "views" and not task.has_views:
        raise InvalidArgumentError("rows='views': this split holds no stored views (drone_classification has none)")
    return Grid(chosen, pipelines, pipelines if rows == "views" else ())


def _metrics(metrics, task) -> dict[str, Metric]:
    extra = {name: each if isinstance(each, Metric) else Metric(each) for name, each in (metrics or {}).items()}
    taken = set(extra) & set(task.metrics)
    if taken:
        raise InvalidArgumentError(f"metrics {sorted(taken)} are the task's own; give yours other names")
    if task.kind == SEGMENTATION and any(metric.takes == "scores" for metric in extra.values()):
        raise InvalidArgumentError("segmentation metrics take (mask, probability) of a tile; leave takes out")
    return extra


def _references(reference, models: dict, grid: Grid) -> dict[str, tuple[float, str]]:
    default = (1.0, grid.pipelines[0])
    given = reference if isinstance(reference, dict) else dict.fromkeys(models, reference or default)
    conditions = grid.conditions()
    found = {}
    for name in models:
        intensity, pipeline = given.get(name) or default
        match = next((c for c in conditions if np.isclose(c[0], intensity) and c[1] == pipeline), None)
        if match is None:
            raise InvalidArgumentError(
                f"reference ({intensity}, {pipeline!r}) of model {name!r} is not among the conditions evaluated"
            )
        found[name] = match
    return found


def _table(task, models, grid, outputs, drawn, extra, references, confidence) -> pd.DataFrame:
    """The table's rows: each metric's value and interval, and its paired delta to the model's reference, with all
    the intervals of a model computed at once."""
    parts = []
    for name in models:
        values = {c: metric_values(task, outputs[(name, *c)], drawn, extra) for c in grid.conditions()}
        reference = values[references[name]]
        keys, resampled, deltas = [], [], []
        for (intensity, pipeline), found in values.items():
            for metric, statistic in found.items():
                n = images_behind(task, outputs[name, intensity, pipeline], metric)
                if n:  # not a class without an image in the split
                    keys.append((name, intensity, pipeline, metric, n))
                    resampled.append(statistic)
                    deltas.append(statistic - reference[metric])
        resampled, deltas = np.array(resampled), np.array(deltas)
        low, high = bootstrap.intervals(resampled, confidence)
        delta_low, delta_high = bootstrap.intervals(deltas, confidence)
        part = pd.DataFrame.from_records(keys, columns=["model", "intensity", "pipeline", "metric", "n"])
        part = part.assign(value=resampled[:, 0], low=low, high=high, delta=deltas[:, 0])
        parts.append(part.assign(delta_low=delta_low, delta_high=delta_high))
    return pd.concat(parts, ignore_index=True)[COLUMNS]


def images_behind(task, outputs, metric: str) -> int:
    """The images a metric's value is over: those of the class for `recall:<class>`."""
    if metric.startswith("recall:"):
        return int((outputs.truth == task.classes.index(metric.removeprefix("recall:"))).sum())
    return len(outputs.counts if outputs.counts is not None else outputs.truth)
