"""The metrics of each task, computed for many resamples of the images at once.

Each built-in metric is a function of counts that add up over images (a confusion matrix, a segmentation's
intersection and union), so one call computes it for every bootstrap resample (rows of `draws`, image
positions drawn with replacement). Each gives what scikit-learn's function gives on the same images (the
tests check it against `accuracy_score`, `balanced_accuracy_score`, `f1_score(average="macro")`,
`recall_score`, `roc_auc_score` and `jaccard_score`); calling those once a resample would cost 1-2 ms each,
a thousand times a condition.

- accuracy: the share of images whose predicted class (the argmax of the logits) is the label.
- balanced_accuracy: the mean over the classes present of the recall (as scikit-learn, classes present
  only among the predictions are left out).
- macro_f1: the mean over the classes present, as labels or predictions, of 2 TP / (2 TP + FP + FN).
- recall:<class>: TP / (images of the class).
- auroc (two classes): the probability that an image of class 1 scores above one of class 0, ties counting
  half (Mann-Whitney), the score being the softmax probability of class 1.
- iou, dice (segmentation, over all pixels of the split): sum(I) / sum(U) and 2 sum(I) / (sum(P) + sum(T)),
  a pixel predicted where its sigmoid exceeds 0.5 (the authors' threshold); 1 where there is nothing to find
  and nothing is found.
- mean_tile_iou, mean_tile_dice: the mean over tiles of each tile's IoU and Dice (1 for a tile with no car
  pixel that predicts none).
"""

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.stats

from ..errors import InvalidArgumentError
from .tasks import BINARY, CLASSIFICATION, SEGMENTATION, Task

TAKES = ("labels", "scores")


@dataclass(frozen=True)
class Metric:
    """A metric of the user's, added to a task's own.

    Args:
        function: for classification `(y_true, y_pred) -> float` over all the images of a condition, called
            once per bootstrap resample: `y_pred` the predicted classes, or with `takes="scores"` the softmax
            probabilities (n, C), of class 1 only (n,) for two classes (as `roc_auc_score` takes them). For
            segmentation `(mask, probability) -> float` of one tile ((H, W) bool and float arrays), averaged
            over the tiles.
        takes: `"labels"` or `"scores"` (classification).

    Examples:
        >>> from sklearn.metrics import top_k_accuracy_score
        >>> top2 = Metric(lambda y, scores: top_k_accuracy_score(y, scores, k=2, labels=range(9)), takes="scores")
    """

    function: Callable
    takes: str = "labels"

    def __post_init__(self):
        if self.takes not in TAKES:
            raise InvalidArgumentError(f"Metric takes one of {TAKES}, got takes={self.takes!r}")


@dataclass
class Outputs:
    """What the models gave for the images of one condition, in image order: classes and scores, or the pixel
    counts of each tile (and each tile's value of the user's metrics)."""

    truth: np.ndarray | None = None  # (n,) labels
    predicted: np.ndarray | None = None  # (n,) argmax of the logits
    scores: np.ndarray | None = None  # (n, C) softmax probabilities
    counts: np.ndarray | None = None  # (n, 3) intersection, predicted and true pixels of each tile
    tile_values: dict[str, np.ndarray] = field(default_factory=dict)  # the user's metrics, per tile


def metric_values(task: Task, outputs: Outputs, draws: np.ndarray, extra: dict[str, Metric]) -> dict[str, np.ndarray]:
    """Each metric's value for every row of `draws` (resamples, images) of image positions."""
    if task.kind == SEGMENTATION:
        values = _segmentation(outputs.counts[draws])
        values |= {name: tiles[draws].mean(axis=1) for name, tiles in outputs.tile_values.items()}
        return values
    truth, predicted = outputs.truth[draws], outputs.predicted[draws]
    if task.kind == CLASSIFICATION:
        values = _classification(truth, predicted, len(task.classes), task.classes)
    else:
        values = {"accuracy": (truth == predicted).mean(axis=1), "auroc": _auroc(truth, outputs.scores[:, 1][draws])}
    for name, metric in extra.items():
        given = outputs.predicted if metric.takes == "labels" else outputs.scores
        given = given[:, 1] if metric.takes == "scores" and task.kind == BINARY else given
        values[name] = np.array([metric.function(outputs.truth[rows], given[rows]) for rows in draws], float)
    return values


def _ratio(numerator: np.ndarray, denominator: np.ndarray, empty: float = np.nan) -> np.ndarray:
    """numerator / denominator, `empty` where the denominator is 0."""
    out = np.full(np.broadcast(numerator, denominator).shape, empty, dtype=float)
    return np.divide(numerator, denominator, out=out, where=denominator != 0)


def _classification(truth: np.ndarray, predicted: np.ndarray, classes: int, names) -> dict[str, np.ndarray]:
    resamples = len(truth)
    cells = (np.arange(resamples)[:, None] * classes + truth) * classes + predicted
    confusion = np.bincount(cells.ravel(), minlength=resamples * classes * classes).reshape(-1, classes, classes)
    hits = np.diagonal(confusion, axis1=1, axis2=2)
    support, guessed = confusion.sum(axis=2), confusion.sum(axis=1)
    recall = _ratio(hits, support)
    f1 = _ratio(2 * hits, support + guessed)
    with warnings.catch_warnings():  # a resample without any class present: all NaN, the value is NaN
        warnings.filterwarnings("ignore", "Mean of empty slice", RuntimeWarning)
        values = {
            "accuracy": hits.sum(axis=1) / truth.shape[1],
            "balanced_accuracy": np.nanmean(recall, axis=1),
            "macro_f1": np.nanmean(f1, axis=1),
        }
    return values | {f"recall:{name}": recall[:, k] for k, name in enumerate(names)}


def _auroc(truth: np.ndarray, scores: np.ndarray) -> np.ndarray:
    ranks = scipy.stats.rankdata(scores, axis=1)
    positives = truth.sum(axis=1)
    negatives = truth.shape[1] - positives
    return _ratio((ranks * truth).sum(axis=1) - positives * (positives + 1) / 2, positives * negatives)


def _segmentation(counts: np.ndarray) -> dict[str, np.ndarray]:
    """From (resamples, tiles, 3) counts: intersection, predicted and true pixels."""
    intersection, predicted, true = counts[..., 0], counts[..., 1], counts[..., 2]
    union, total = predicted + true - intersection, predicted + true
    return {
        "iou": _ratio(intersection.sum(axis=1), union.sum(axis=1), empty=1.0),
        "dice": _ratio(2 * intersection.sum(axis=1), total.sum(axis=1), empty=1.0),
        "mean_tile_iou": _ratio(intersection, union, empty=1.0).mean(axis=1),
        "mean_tile_dice": _ratio(2 * intersection, total, empty=1.0).mean(axis=1),
    }
