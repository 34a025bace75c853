"""One pass over a split: each batch of raw rows read once, processed once per pipeline, and given to every
model; what the models give is kept per condition as classes, scores or pixel counts."""

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import datasets
import numpy as np
import pyarrow.compute as pc
import torch
from tqdm.auto import tqdm

from ..errors import InvalidArgumentError
from ..processing.dispatch import process
from ..processing.recipe import RAW_FULL_SCALE
from ..reading.pixels import pixels
from .metrics import Metric, Outputs
from .tasks import RAW_INPUTS, SEGMENTATION, STORED, Task


@dataclass(frozen=True)
class Grid:
    """The conditions evaluated: `pipelines` (or `raw` mosaics) computed at each intensity, and the stored
    views at 1.00 named in `stored`."""

    intensities: tuple[float, ...]
    pipelines: tuple[str, ...]  # computed from raw rows; (RAW_INPUTS,) for models that take mosaics
    stored: tuple[str, ...]  # view names

    def conditions(self) -> list[tuple[float, str]]:
        computed = [(intensity, pipeline) for intensity in self.intensities for pipeline in self.pipelines]
        return computed + [(1.0, STORED + view) for view in self.stored]


class Pass:
    """The outputs of `models` on every condition of `grid`, gathered batch by batch."""

    def __init__(self, models: dict[str, Callable], task: Task, grid: Grid, extra: dict[str, Metric], **options):
        self.models, self.task, self.grid, self.extra = models, task, grid, extra
        self.transform, self.device, self.unsharp = options["transform"], options["device"], options["unsharp"]
        self.excluded: set[str] = set()  # images whose label is -1
        self._parts = defaultdict(list)  # (model, intensity, pipeline) -> per batch: ids, then arrays
        self._checked: set[str] = set()

    def run(self, split, batch_size: int, progress: bool) -> dict[tuple[str, float, str], Outputs]:
        """Read `split`'s rows and give them to the models; the outputs by (model, intensity, pipeline)."""
        per_condition = _images_per_condition(split)  # None for a stream: progress in images processed
        shown = "{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total} conditions [{elapsed}<{remaining}]"
        layout = {"total": len(self.grid.conditions()), "bar_format": shown} if per_condition else {"unit": " images"}
        with tqdm(disable=not progress, desc="drift", **layout) as bar:
            for intensity, pipeline, ids, inputs, truth in self._batches(split, batch_size):
                self._give(intensity, pipeline, ids, inputs, truth)
                bar.update(len(ids) / per_condition if per_condition else len(ids))
        return self._outputs()

    def _batches(self, split, batch_size: int) -> Iterator[tuple]:
        """(intensity, pipeline, image ids, model inputs, truth) for each batch and condition."""
        target = self.task.target
        if self.grid.pipelines:
            for batch in pixels(split, "torch", columns=["image_id", "intensity", target]).iter(batch_size):
                ids = batch["image_id"]
                truth, keep = self._labelled(ids, batch[target])
                for intensity in self.grid.intensities:
                    here = keep & (batch["intensity"] == intensity)
                    if not here.any():
                        continue
                    mosaics = batch["raw"][here].to(self.device)
                    for pipeline in self.grid.pipelines:
                        yield intensity, pipeline, _chosen(ids, here), self._processed(mosaics, pipeline), truth[here]
        if self.grid.stored:
            names = split.features["view"].names
            scale = 255 if isinstance(split.features["rgb"], datasets.Image) else RAW_FULL_SCALE  # 8- or 16-bit
            for batch in pixels(split, "torch", rows="views", columns=["image_id", "view", target]).iter(batch_size):
                ids = batch["image_id"]
                truth, keep = self._labelled(ids, batch[target])
                for view in self.grid.stored:
                    here = keep & (batch["view"] == names.index(view))
                    if here.any():
                        rgb = batch["rgb"][here].to(self.device, torch.float32) / scale
                        yield 1.0, STORED + view, _chosen(ids, here), self._transformed(rgb), truth[here]

    def _labelled(self, ids: list[str], target) -> tuple[torch.Tensor, torch.Tensor]:
        """The batch's truth as a tensor (labels, or masks as bool), and which rows have a label."""
        truth = truth_tensor(self.task, target)
        if self.task.kind == SEGMENTATION:
            return truth, torch.ones(len(ids), dtype=torch.bool)
        keep = truth >= 0
        self.excluded.update(_chosen(ids, ~keep))
        return truth, keep

    def _processed(self, mosaics: torch.Tensor, pipeline: str) -> torch.Tensor:
        if pipeline == RAW_INPUTS:
            return mosaics.to(torch.float32) / RAW_FULL_SCALE
        return self._transformed(process(mosaics, pipeline, self.task.camera, self.unsharp))

    def _transformed(self, rgb: torch.Tensor) -> torch.Tensor:
        return self.transform(rgb) if self.transform is not None else rgb

    def _give(self, intensity: float, pipeline: str, ids: list[str], inputs: torch.Tensor, truth: torch.Tensor):
        truth = truth.to(self.device)
        with torch.no_grad():
            for name, model in self.models.items():
                logits = model(inputs)
                self._check(name, logits, inputs)
                self._parts[name, intensity, pipeline].append((ids, *self._kept(logits, truth)))

    def _kept(self, logits: torch.Tensor, truth: torch.Tensor) -> tuple[np.ndarray, ...]:
        """What the metrics need of a batch's logits: classes and scores, or each tile's pixel counts and the
        user's per-tile values."""
        if self.task.kind != SEGMENTATION:
            scores = torch.softmax(logits.float(), dim=1)
            return truth.cpu().numpy(), logits.argmax(dim=1).cpu().numpy(), scores.cpu().numpy()
        logits = logits[:, 0] if logits.ndim == 4 else logits
        found = logits > 0  # sigmoid > 0.5
        counts = torch.stack([(found & truth).sum((1, 2)), found.sum((1, 2)), truth.sum((1, 2))], dim=1)
        tile_values = []
        if self.extra:
            probability, masks = torch.sigmoid(logits.float()).cpu().numpy(), truth.cpu().numpy()
            tile_values = [
                np.array([metric.function(m, p) for m, p in zip(masks, probability, strict=True)], float)
                for metric in self.extra.values()
            ]
        return (counts.cpu().numpy(), *tile_values)

    def _check(self, name: str, logits, inputs: torch.Tensor) -> None:
        """Refuse, once per model, logits of a shape the task does not take."""
        if name not in self._checked:
            check_logits(self.task, name, logits, inputs)
            self._checked.add(name)

    def _outputs(self) -> dict[tuple[str, float, str], Outputs]:
        """Each condition's outputs in image-id order; every condition must hold the same images."""
        outputs, images = {}, None
        for key, parts in self._parts.items():
            ids = np.array([image_id for part in parts for image_id in part[0]])
            order = np.argsort(ids, kind="stable")
            if images is None:
                images = ids[order]
            elif not np.array_equal(ids[order], images):
                raise InvalidArgumentError(
                    f"condition {key[1]:.2f} {key[2]} holds {len(ids)} images, others {len(images)} (or other "
                    "ones): evaluate takes a split whose every condition holds the same images (filter by image, "
                    "not by row)"
                )
            arrays = [np.concatenate([part[k] for part in parts])[order] for k in range(1, len(parts[0]))]
            outputs[key] = self._as_outputs(arrays)
        self.images = [] if images is None else images.tolist()
        return outputs

    def _as_outputs(self, arrays: list[np.ndarray]) -> Outputs:
        if self.task.kind == SEGMENTATION:
            return Outputs(counts=arrays[0], tile_values=dict(zip(self.extra, arrays[1:], strict=True)))
        return Outputs(truth=arrays[0], predicted=arrays[1], scores=arrays[2])


def truth_tensor(task: Task, target) -> torch.Tensor:
    """A batch's labels as they come, or its masks as one bool tensor."""
    if task.kind == SEGMENTATION:
        return torch.from_numpy(np.stack([np.asarray(mask, dtype=bool) for mask in target]))
    return target


def check_logits(task: Task, name: str, logits, inputs: torch.Tensor) -> None:
    """Refuse logits of a shape the task does not take, naming the shape expected."""
    images, height, width = len(inputs), inputs.shape[-2], inputs.shape[-1]
    if task.kind == SEGMENTATION:
        expected = f"({images}, 1, {height}, {width}) or ({images}, {height}, {width})"
        shapes = ((images, 1, height, width), (images, height, width))
    else:
        expected = f"({images}, {len(task.classes)})"
        shapes = ((images, len(task.classes)),)
    if not isinstance(logits, torch.Tensor) or tuple(logits.shape) not in shapes:
        got = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise InvalidArgumentError(
            f"model {name!r} gave {got} for a batch of shape {tuple(inputs.shape)}; {task.kind} takes "
            f"logits of shape {expected}"
        )


def _chosen(ids: list[str], rows: torch.Tensor) -> list[str]:
    """The ids of the rows marked in the bool tensor `rows`."""
    return [image_id for image_id, chosen in zip(ids, rows.tolist(), strict=True) if chosen]


def _images_per_condition(split) -> int | None:
    """The labelled images of one condition (raw rows at 1.00) of a loaded split; None for a stream."""
    if not hasattr(split, "__len__"):
        return None
    return len(labelled_raw_rows(split, 1.0)[0]) or None


def labelled_raw_rows(split, intensity: float) -> tuple[np.ndarray, np.ndarray]:
    """The positions of a loaded split's raw rows at `intensity` whose label is not -1 (the images the authors
    exclude), and their image ids: read from Arrow, without the pixels."""
    columns = ["image_id", "intensity"] + [name for name in ("view", "label") if name in split.features]
    table = split.select_columns(columns).with_format("arrow")[:]
    chosen = pc.equal(table["intensity"], intensity)
    if "view" in columns:
        chosen = pc.and_(chosen, pc.equal(table["view"], 0))
    if "label" in columns:
        chosen = pc.and_(chosen, pc.greater_equal(table["label"], 0))
    positions = np.flatnonzero(chosen.to_numpy(zero_copy_only=False))
    return positions, np.asarray(table["image_id"].take(positions).to_pylist(), dtype=str)
