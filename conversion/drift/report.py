"""`DriftReport`: the table of an evaluation, its pivots and summary, written as CSV and JSON."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InvalidArgumentError
from ..output import write_text_atomically
from .tasks import STORED

COLUMNS = ["model", "intensity", "pipeline", "metric", "value", "low", "high", "n", "delta", "delta_low", "delta_high"]


class DriftReport:
    """The result of `drift.evaluate`.

    Attributes:
        table: a tidy pandas DataFrame, one row per (model, intensity, pipeline, metric), with columns `model,
            intensity, pipeline, metric, value, low, high, n, delta, delta_low, delta_high`: the value and its
            bootstrap interval over the `n` images, and the paired difference to the model's reference
            condition with its interval.
        evaluated: what was evaluated: config, split, source, task, images, excluded images, models, each
            model's reference, the conditions, confidence, resamples, seed, package and data versions.
    """

    def __init__(self, table: pd.DataFrame, evaluated: dict):
        self.table, self.evaluated = table, evaluated

    @property
    def metrics(self) -> list[str]:
        """The metrics of the table, the headline one first."""
        return list(dict.fromkeys(self.table["metric"]))

    def _model(self, model: str | None) -> str:
        models = self.evaluated["models"]
        if model is None and len(models) == 1:
            return models[0]
        if model not in models:
            raise InvalidArgumentError(f"name a model, one of {models}; got {model!r}")
        return model

    def _rows(self, metric: str, model: str | None) -> pd.DataFrame:
        if metric not in self.metrics:
            raise InvalidArgumentError(f"no metric {metric!r} in this report; its metrics: {', '.join(self.metrics)}")
        table = self.table
        return table[(table["metric"] == metric) & (table["model"] == self._model(model))]

    def pivot(self, metric: str, model: str | None = None, column: str = "value") -> pd.DataFrame:
        """Intensities (rows, highest first) x pipelines (columns, in the order evaluated) of one metric's
        `column` (`value`, `low`, `delta`, ...) for one model (the only one, unless named); the stored views,
        when evaluated, are a first row `stored`."""
        rows = self._rows(metric, model)
        stored = rows["pipeline"].str.startswith(STORED)
        computed = rows[~stored].pivot(index="intensity", columns="pipeline", values=column)
        computed = computed.loc[sorted(computed.index, reverse=True), list(dict.fromkeys(rows[~stored]["pipeline"]))]
        if not stored.any():
            return computed
        views = rows[stored].assign(intensity="stored", pipeline=rows[stored]["pipeline"].str.removeprefix(STORED))
        views = views.pivot(index="intensity", columns="pipeline", values=column).reindex(columns=computed.columns)
        return pd.concat([views, computed])

    def summary(self, metric: str | None = None) -> dict:
        """For each model, of `metric` (the headline one by default): the reference condition and its value,
        the worst condition and its drop below the reference, the mean over all conditions, and the drop at
        each intensity (the reference value minus the mean over that intensity's computed pipelines)."""
        metric = metric or self.metrics[0]
        found = {}
        for model in self.evaluated["models"]:
            rows = self._rows(metric, model)
            reference = self.evaluated["reference"][model]
            value = float(_at(rows, reference)["value"])
            worst = rows.loc[rows["value"].idxmin()]
            computed = rows[~rows["pipeline"].str.startswith(STORED)]
            by_intensity = computed.groupby("intensity", sort=False)["value"].mean()
            found[model] = {
                "metric": metric,
                "reference": {**reference, "value": value},
                "worst": {
                    "intensity": float(worst["intensity"]),
                    "pipeline": worst["pipeline"],
                    "value": float(worst["value"]),
                    "drop": value - float(worst["value"]),
                },
                "mean": float(rows["value"].mean()),
                "conditions": len(rows),
                "drop_by_intensity": {
                    float(i): round(value - float(mean), 12) + 0.0 for i, mean in by_intensity.items()
                },
            }
        return found

    def __str__(self) -> str:
        evaluated = self.evaluated
        lines = [
            f"{self._where()}: {evaluated['images']} images"
            + (f" ({evaluated['excluded_images']} more excluded: label -1)" if evaluated["excluded_images"] else "")
            + f", {evaluated['confidence']:.0%} intervals from {evaluated['resamples']} bootstrap resamples of them"
        ]
        for model, found in self.summary().items():
            rows = self._rows(found["metric"], model)
            reference, worst = found["reference"], found["worst"]
            lines += [
                f"model {model}, {found['metric']}:",
                f"  reference {reference['intensity']:.2f} {reference['pipeline']}: {_with_interval(rows, reference)}",
                f"  worst     {worst['intensity']:.2f} {worst['pipeline']}: {_with_interval(rows, worst)}, "
                f"drop {worst['drop']:.3f}",
                f"  mean over the {found['conditions']} conditions: {found['mean']:.3f}",
                "  drop at each intensity (reference minus the mean over its pipelines): "
                + ", ".join(f"{i:.2f} {drop:.3f}" for i, drop in found["drop_by_intensity"].items()),
            ]
        return "\n".join(lines)

    def to_csv(self, path) -> None:
        """The table as CSV, written atomically."""
        write_text_atomically(Path(path), self.table.to_csv(index=False))

    def to_json(self, path) -> None:
        """What was evaluated and the table (records; NaN as null), written atomically."""
        text = json.dumps({"evaluated": self.evaluated, "table": records(self.table)}, indent=1)
        write_text_atomically(Path(path), text + "\n")

    def heatmap(self, metric: str | None = None, model: str | None = None):
        """A matplotlib Figure: intensities x pipelines, the value in each cell, cells whose `delta` interval
        excludes 0 marked `*`. Needs matplotlib (`pip install "lens2logit[plots]"`)."""
        from .plots import heatmap

        metric = metric or self.metrics[0]
        return heatmap(self.pivot(metric, model), self._significant(metric, model), f"{metric}, {self._title(model)}")

    def plot_intensity(self, metric: str | None = None, model: str | None = None):
        """A matplotlib Figure: the metric against intensity, one line per pipeline, with interval bands."""
        from .plots import against_intensity

        metric = metric or self.metrics[0]
        bands = [self.pivot(metric, model, column).drop(index="stored", errors="ignore") for column in COLUMNS[4:7]]
        bands = [band.set_axis(band.index.astype(float)).astype(float) for band in bands]  # without the stored views
        return against_intensity(*bands, f"{metric}, {self._title(model)}")

    def _significant(self, metric: str, model: str | None) -> pd.DataFrame:
        low, high = (self.pivot(metric, model, column) for column in ("delta_low", "delta_high"))
        return (low > 0) | (high < 0)

    def _title(self, model: str | None) -> str:
        return f"model {self._model(model)} on {self._where()}"

    def _where(self) -> str:
        """`config/split`, as far as the split's info tells."""
        return "/".join(str(part) for part in (self.evaluated["config"], self.evaluated["split"]) if part) or "split"


def records(table: pd.DataFrame) -> list[dict]:
    """The table's rows as dicts for JSON, NaN as None."""
    return [
        {key: None if isinstance(value, float) and np.isnan(value) else value for key, value in row.items()}
        for row in table.to_dict(orient="records")
    ]


def _at(rows: pd.DataFrame, condition: dict) -> pd.Series:
    """The row of `condition` (its `intensity` and `pipeline`) among one metric's rows of one model."""
    return rows[(rows["intensity"] == condition["intensity"]) & (rows["pipeline"] == condition["pipeline"])].iloc[0]


def _with_interval(rows: pd.DataFrame, condition: dict) -> str:
    row = _at(rows, condition)
    return f"{row['value']:.3f} [{row['low']:.3f}, {row['high']:.3f}]"
