"""Drift forensics: `search` finds the processing numbers that break a frozen model most while the images stay
near the default processing; `search_curve` repeats it over penalty weights (the authors' forensics plot)."""

import contextlib
from collections.abc import Callable, Sequence

import datasets
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..errors import ArgumentTypeError, InvalidArgumentError
from ..processing.torch_module import LEARNABLE, ProcessingModule
from ..reading.pixels import pixels
from . import bootstrap
from .distances import DISTANCES, distances
from .evaluation import conditions_grid, images_behind
from .metrics import metric_values
from .passes import Grid, Pass, check_logits, labelled_raw_rows, truth_tensor
from .search_report import SearchCurve, SearchResult
from .tasks import RAW_INPUTS, SEGMENTATION, Task, task_of

PENALTIES = ("l2", "ssim")
AUTHORS_PIPELINE = "bilinear-sharpening_filter-gaussian_denoising"  # the one their learned processing ports


def search(
    model,
    split,
    pipeline: str = AUTHORS_PIPELINE,
    parameters: Sequence[str] | str = ("white_balance",),
    *,
    penalty: str = "l2",
    weight: float = 1.0,
    steps: int = 100,
    lr: float = 0.01,
    intensity: float = 1.0,
    holdout: float = 0.5,
    report=None,
    unsharp: str = "columns",
    transform: Callable | None = None,
    device="cpu",
    batch_size: int = 16,
    confidence: float = 0.95,
    resamples: int = 1000,
    seed: int = 0,
    progress: bool = True,
) -> SearchResult:
    """The camera change that breaks `model` most: the `parameters` of `pipeline` (see `ProcessingModule`)
    that maximise the model's loss on raw rows of `split`, less `weight` times the distance of the images to
    the default processing. The model is frozen (eval mode, no gradients; both restored after).

    The split's labelled images at `intensity` are divided, seeded: the search runs on one part and the
    metrics are reported on the other (`holdout` of the images), so the drop is not fitted to the images it
    is measured on. Each step is one Adam step on `batch_size` search images. The loss is cross-entropy
    (classification) or per-pixel binary cross-entropy (segmentation).

    Args:
        model: an `nn.Module` or callable taking (B, 3, H, W) RGB in [0, 1] (after `transform`) to logits.
        split: one map-style split of `microscopy`, `drone` or `drone_classification`.
        pipeline: the pipeline searched, one of `PIPELINES` (default the one the authors' code learns).
        parameters: what is searched: some of `LEARNABLE` (`"black_level"`, `"white_balance"`,
            `"colour_matrix"`, `"gamma"`, `"sharpening"`, `"denoising"`) or `"all"`.
        penalty: `"l2"`, the mean squared difference of the images to the default processing (per pixel and
            channel, so `weight` does not depend on the image size), or `"ssim"`: 1 - SSIM (torchmetrics,
            Gaussian window 11, sigma 1.5, data range 1).
        weight: of the penalty (lambda): 0 searches freely; large weights keep the images near the default.
        steps, lr: Adam steps and learning rate.
        intensity: the raw rows searched and reported, one of the 7 intensities.
        holdout: the share of images reported on (the rest are searched on).
        report: another split to report on (e.g. test, searching on train): all of `split`'s images are then
            searched on, and `holdout` is not used.
        unsharp, transform, device, batch_size, confidence, resamples, seed, progress: as in `evaluate`; the
            seed also divides the images and orders the search's batches.

    Returns:
        A `SearchResult`: the numbers found (`parameters`, `start`), the metrics before and after on the
        report images with intervals and the paired `delta` (`table`), the distances reached (`distance`:
        `l2` and `ssim`), each step's loss (`history`) and the found `module`.

    Raises:
        InvalidArgumentError: an unknown parameter, penalty, pipeline or intensity, a weight below 0, too few
            labelled images to divide, or logits of a shape the task does not take.
        ArgumentTypeError: `split` is not one map-style split, or `model` is not callable.
    """
    task = _checked(model, split, penalty, weight, steps, holdout, confidence, resamples)
    intensity = conditions_grid(task, [intensity], [pipeline], "raw", "rgb").intensities[0]
    searched = ProcessingModule(pipeline, task.camera, learn=parameters, unsharp=unsharp).to(device)
    if not searched.learned:
        raise InvalidArgumentError("no parameters to search: name some of " + ", ".join(LEARNABLE))
    default = ProcessingModule(pipeline, task.camera, unsharp=unsharp).to(device)
    held_out = report is None
    if held_out:
        search_rows, report_rows = _divided(split, intensity, holdout, seed)
        report = split
    elif not isinstance(report, datasets.Dataset) or task_of(report.features) != task:
        raise ArgumentTypeError("report takes one map-style split of the same config as split")
    else:
        search_rows, report_rows = _selected(split, intensity)[0], _selected(report, intensity)[0]
    raw, truth = _loaded(split.select(search_rows), task)
    start = _learned_values(searched)

    def classify(rgb):
        return model(transform(rgb) if transform is not None else rgb)

    def predict(module):
        return lambda mosaics: classify(module(mosaics))

    with _frozen(model, device):
        check_logits(task, "model", predict(default)(raw[:1].to(device)), raw[:1])
        history = _optimise(searched, default, classify, task, raw, truth, penalty, weight, steps, lr, batch_size,
                            seed, device, progress)  # fmt: skip
        reported = report.select(report_rows)
        models = {"default": predict(default), "found": predict(searched)}
        run = Pass(models, task, Grid((intensity,), (RAW_INPUTS,), ()), {}, transform=None, device=device,
                   unsharp=unsharp)  # fmt: skip
        with torch.no_grad():
            outputs = run.run(reported, batch_size, progress=False)
            distance = distances(searched, default, reported, batch_size, device)
    table = _table(task, outputs, intensity, bootstrap.draws(len(run.images), resamples, seed), confidence)
    settings = {
        "config": split.info.config_name,
        "split": str(split.split) if split.split is not None else None,
        "pipeline": pipeline,
        "intensity": intensity,
        "parameters": list(searched.learned),
        "penalty": penalty,
        "weight": weight,
        "steps": steps,
        "lr": lr,
        "seed": seed,
        "report_split": str(report.split) if report.split is not None else None,
        "holdout": holdout if held_out else None,
        "search_images": len(search_rows),
        "report_images": len(report_rows),
        "confidence": confidence,
        "resamples": resamples,
    }
    return SearchResult(_learned_values(searched), start, table, distance, history, searched.cpu(), settings)


def search_curve(model, split, pipeline: str = AUTHORS_PIPELINE, weights: Sequence[float] = (0.1, 1, 10), **options):
    """`search` once per penalty weight, each from the default numbers with the same seed: the metric after
    the search against lambda, as a table and a plot (`SearchCurve`). Options are `search`'s."""
    if not weights:
        raise InvalidArgumentError("search_curve takes one weight or more")
    progress = options.pop("progress", True)
    results = [
        search(model, split, pipeline, weight=weight, progress=False, **options)
        for weight in tqdm(sorted(weights), desc="search curve", unit=" weights", disable=not progress)
    ]
    return SearchCurve(results)


def _learned_values(module: ProcessingModule) -> dict[str, list]:
    return {name: value for name, value in module.values().items() if name in module.learned}


def _checked(model, split, penalty, weight, steps, holdout, confidence, resamples) -> Task:
    if not isinstance(split, datasets.Dataset):
        raise ArgumentTypeError(
            f"search takes one map-style split of a dataset (it reads the images many times), got "
            f"{type(split).__name__}"
        )
    if not callable(model):
        raise ArgumentTypeError(f"model is a {type(model).__name__}, not a callable returning logits")
    if penalty not in PENALTIES:
        raise InvalidArgumentError(f"penalty must be one of {PENALTIES}, got {penalty!r}")
    if not weight >= 0:
        raise InvalidArgumentError(f"weight must be 0 or more, got {weight}")
    if steps < 1:
        raise InvalidArgumentError(f"steps must be 1 or more, got {steps}")
    if not 0 < holdout < 1:
        raise InvalidArgumentError(f"holdout must lie between 0 and 1, got {holdout}")
    bootstrap.check(confidence, resamples)
    return task_of(split.features)


def _divided(split, intensity: float, holdout: float, seed: int) -> tuple[list[int], list[int]]:
    """The positions of the labelled raw rows at `intensity`, divided by image, seeded: (search, report)."""
    positions, ids = _selected(split, intensity)
    images = np.random.default_rng(seed).permutation(np.unique(ids))
    reported = round(holdout * len(images))
    if reported < 1 or reported >= len(images):
        raise InvalidArgumentError(
            f"{len(images)} labelled image(s) at intensity {intensity:.2f} cannot be divided into images to search "
            f"and images to report at holdout={holdout}: give a split with more images, or another split as report"
        )
    report = np.isin(ids, images[:reported])
    return positions[~report].tolist(), positions[report].tolist()


def _selected(split, intensity: float) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the labelled raw rows at `intensity`, and their image ids; none is an error."""
    positions, ids = labelled_raw_rows(split, intensity)
    if not len(positions):
        raise InvalidArgumentError(f"the split holds no labelled raw rows at intensity {intensity:.2f}")
    return positions, ids


def _loaded(rows, task: Task) -> tuple[torch.Tensor, torch.Tensor]:
    """The rows' mosaics and truth, in memory: the search reads them once a step."""
    batches = list(pixels(rows, "torch", columns=[task.target]).iter(256))
    raw = torch.cat([batch["raw"] for batch in batches])
    return raw, torch.cat([truth_tensor(task, batch[task.target]) for batch in batches])


@contextlib.contextmanager
def _frozen(model, device):
    """The model in eval mode on `device` without gradients to its parameters; all restored after."""
    if not isinstance(model, torch.nn.Module):
        yield
        return
    training, wanted = model.training, [p.requires_grad for p in model.parameters()]
    model.to(device).eval().requires_grad_(False)
    try:
        yield
    finally:
        model.train(training)
        for parameter, flag in zip(model.parameters(), wanted, strict=True):
            parameter.requires_grad_(flag)


def _optimise(searched, default, classify, task, raw, truth, penalty, weight, steps, lr, batch_size, seed, device,
              progress) -> pd.DataFrame:  # fmt: skip
    """Adam steps on -loss + weight * distance over seeded batches of the search images; each step's numbers."""
    optimiser = torch.optim.Adam(searched.parameters(), lr=lr)
    order = _batches(len(raw), batch_size, seed)
    history = []
    for step in tqdm(range(steps), desc="search", unit=" steps", disable=not progress):
        chosen = next(order)
        mosaics, target = raw[chosen].to(device), truth[chosen].to(device)
        rgb = searched(mosaics)
        with torch.no_grad():
            reference = default(mosaics)
        loss = _task_loss(task, classify(rgb), target)
        distance = DISTANCES[penalty](rgb, reference)
        objective = -loss + weight * distance
        optimiser.zero_grad()
        objective.backward()
        optimiser.step()
        history.append((step, loss.item(), distance.item(), objective.item()))
    return pd.DataFrame(history, columns=["step", "loss", "distance", "objective"])


def _batches(images: int, batch_size: int, seed: int):
    """Positions of the search images, `batch_size` at a time, in a new seeded order each epoch."""
    generator = torch.Generator().manual_seed(seed)
    while True:
        yield from torch.randperm(images, generator=generator).split(batch_size)


def _task_loss(task: Task, logits: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    if task.kind == SEGMENTATION:
        logits = logits[:, 0] if logits.ndim == 4 else logits
        return F.binary_cross_entropy_with_logits(logits, truth.to(logits.dtype))
    return F.cross_entropy(logits, truth)


def _table(task: Task, outputs: dict, intensity: float, drawn: np.ndarray, confidence: float) -> pd.DataFrame:
    """Each metric before and after the search on the report images, with intervals and the paired delta."""
    default, found = outputs["default", intensity, RAW_INPUTS], outputs["found", intensity, RAW_INPUTS]
    before, after = metric_values(task, default, drawn, {}), metric_values(task, found, drawn, {})
    counts = {metric: images_behind(task, default, metric) for metric in before}
    metrics = [metric for metric in before if counts[metric]]  # not a class without an image reported on
    rows = {"before": np.array([before[m] for m in metrics]), "after": np.array([after[m] for m in metrics])}
    rows["delta"] = rows["after"] - rows["before"]
    table = pd.DataFrame({"metric": metrics, "n": [counts[m] for m in metrics]})
    for name, values in rows.items():
        low, high = bootstrap.intervals(values, confidence)
        table = table.assign(**{name: values[:, 0], f"{name}_low": low, f"{name}_high": high})
    return table
