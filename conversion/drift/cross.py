"""The authors' 12 x 12 study: models trained on one pipeline's views, each tested on every pipeline."""

from collections.abc import Callable, Sequence

import pandas as pd

from ..errors import InvalidArgumentError
from ..processing.recipe import PIPELINES
from .evaluation import evaluate
from .report import DriftReport


class CrossReport(DriftReport):
    """A `DriftReport` whose models are named by the pipeline they were trained on, each referenced to its own
    pipeline at 1.00, so that `delta` is the cell minus the diagonal."""

    def matrix(self, metric: str | None = None, intensity: float = 1.0, drop: bool = False) -> pd.DataFrame:
        """Train pipeline (rows) x test pipeline (columns) of `metric` at `intensity`; with `drop`, the
        diagonal minus each cell (the authors' second heatmap)."""
        matrix = self._matrix(metric or self.metrics[0], intensity, "delta" if drop else "value")
        return -matrix if drop else matrix

    def _matrix(self, metric: str, intensity: float, column: str) -> pd.DataFrame:
        """Train pipeline x test pipeline of one `column` of the table."""
        table = self.table[(self.table["metric"] == metric) & (self.table["intensity"] == intensity)]
        if table.empty:
            raise InvalidArgumentError(f"no {metric!r} at intensity {intensity} in this report")
        matrix = table.pivot(index="model", columns="pipeline", values=column)
        matrix = matrix.loc[self.evaluated["models"], [p for p in PIPELINES if p in matrix.columns]]
        matrix.index.name, matrix.columns.name = "trained on", "tested on"
        return matrix

    def heatmap(self, metric: str | None = None, intensity: float = 1.0, drop: bool = False):
        """The matrix as a heatmap; `*` marks cells whose difference to the diagonal has an interval excluding 0."""
        from .plots import heatmap

        metric = metric or self.metrics[0]
        marked = (self._matrix(metric, intensity, "delta_low") > 0) | (
            self._matrix(metric, intensity, "delta_high") < 0
        )
        what = "diagonal minus cell" if drop else metric
        return heatmap(self.matrix(metric, intensity, drop), marked, f"{what} at intensity {intensity:.2f}")


def cross_matrix(
    models_by_pipeline: dict[str, Callable], split, intensities: Sequence[float] = (1.0,), **options
) -> CrossReport:
    """Each model, trained on one pipeline's views, tested on the views of every pipeline (computed from the
    raw rows, as `evaluate`), at 1.00 and optionally at other intensities.

    Args:
        models_by_pipeline: models by the pipeline they were trained on (names of `PIPELINES`).
        split: one split of a loaded config.
        intensities: where to test (default only 1.00, as the authors did).
        **options: passed to `evaluate` (e.g. `transform`, `device`, `batch_size`, `seed`).

    Returns:
        A `CrossReport`: the table of `evaluate` with every model referenced to its own pipeline at 1.00;
        `.matrix(metric, drop=...)` and `.heatmap(metric, drop=...)` give the authors' two heatmaps.
    """
    unknown = sorted(set(models_by_pipeline) - set(PIPELINES))
    if unknown:
        raise InvalidArgumentError(f"models_by_pipeline is keyed by pipeline names; unknown: {', '.join(unknown)}")
    if "reference" in options or "pipelines" in options:
        raise InvalidArgumentError(
            "cross_matrix tests every pipeline against each model's own: leave out reference and pipelines"
        )
    intensities = tuple(dict.fromkeys((1.0, *intensities)))
    references = {pipeline: (1.0, pipeline) for pipeline in models_by_pipeline}
    report = evaluate(models_by_pipeline, split, intensities=intensities, reference=references, **options)
    return CrossReport(report.table, report.evaluated)
