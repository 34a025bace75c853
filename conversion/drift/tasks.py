"""What a split of a Lens2Logit config is evaluated on: its task, its target column and its camera."""

from dataclasses import dataclass

import datasets

from ..errors import InvalidArgumentError

STORED = "stored:"  # the pipeline of a stored view: `stored:<view>`
RAW_INPUTS = "raw"  # the pipeline of mosaics given to the models as they are
CLASSIFICATION, BINARY, SEGMENTATION = "classification", "binary classification", "segmentation"
# The metrics of each task, in the order the table gives them; the first is the headline one.
METRICS = {
    CLASSIFICATION: ("accuracy", "balanced_accuracy", "macro_f1"),  # and recall:<class> for each class
    BINARY: ("accuracy", "auroc"),
    SEGMENTATION: ("iou", "dice", "mean_tile_iou", "mean_tile_dice"),
}


@dataclass(frozen=True)
class Task:
    """The task a split is evaluated on.

    Args:
        kind: `CLASSIFICATION` (microscopy), `BINARY` (drone_classification) or `SEGMENTATION` (drone).
        target: the column of the truth, `label` or `mask`.
        classes: the class names (classification), else ().
        camera: the camera whose parameters the pipelines use, `microscopy` or `drone`.
        has_views: whether the split holds the archive's stored views.
    """

    kind: str
    target: str
    classes: tuple[str, ...]
    camera: str
    has_views: bool

    @property
    def metrics(self) -> tuple[str, ...]:
        per_class = tuple(f"recall:{name}" for name in self.classes) if self.kind == CLASSIFICATION else ()
        return METRICS[self.kind] + per_class


def task_of(features: datasets.Features) -> Task:
    """The task of a split with these features; a config without labels or masks is refused."""
    camera = "drone" if "frame_id" in features else "microscopy"
    has_views = "view" in features
    if "raw" not in features:
        raise InvalidArgumentError(
            f"this split has no raw column (its columns: {', '.join(features)}); evaluate a split of microscopy, "
            "drone or drone_classification"
        )
    if isinstance(features.get("label"), datasets.ClassLabel):
        names = tuple(features["label"].names)
        return Task(BINARY if len(names) == 2 else CLASSIFICATION, "label", names, camera, has_views)
    if "mask" in features and has_views:
        return Task(SEGMENTATION, "mask", (), camera, has_views)
    raise InvalidArgumentError(
        "this split has no labels or tile masks to evaluate against (drone_full holds full frames only); "
        "evaluate a split of microscopy, drone (segmentation) or drone_classification"
    )
