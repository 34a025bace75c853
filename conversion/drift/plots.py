"""The report's figures, drawn with matplotlib's object API (no pyplot state, no window)."""

import pandas as pd

from ..errors import import_optional


def _figure(width: float, height: float):
    figure = import_optional("matplotlib.figure", "plots", "the drift plots").Figure
    return figure(figsize=(width, height), layout="constrained")


def _short(pipeline: str) -> str:
    """`menon2007-unsharp_masking-median_denoising` as `menon2007 unsharp median`, for axis labels."""
    return pipeline.replace("_masking", "").replace("_filter", " filter").replace("_denoising", "").replace("-", " ")


def heatmap(values: pd.DataFrame, marked: pd.DataFrame, title: str):
    """Rows x columns of `values` as coloured cells with their numbers, `*` where `marked`."""
    figure = _figure(2.0 + 0.75 * values.shape[1], 3.0 + 0.45 * values.shape[0])
    axes = figure.subplots()
    image = axes.imshow(values.to_numpy(float), cmap="viridis", aspect="auto")
    figure.colorbar(image, ax=axes, shrink=0.8)
    for i, row in enumerate(values.index):
        for j, column in enumerate(values.columns):
            value = values.loc[row, column]
            star = "*" if bool(marked.loc[row, column]) else ""
            axes.text(j, i, f"{value:.2f}{star}", ha="center", va="center", fontsize=7, color="white")
    axes.set_xticks(range(values.shape[1]), [_short(str(c)) for c in values.columns], rotation=60, ha="right")
    axes.set_yticks(range(values.shape[0]), [f"{r:.2f}" if isinstance(r, float) else str(r) for r in values.index])
    axes.set_xlabel(values.columns.name or "pipeline")
    axes.set_ylabel(values.index.name or "intensity")
    axes.set_title(f"{title}\n* the interval of the difference to the reference excludes 0", fontsize=9)
    return figure


def against_intensity(values: pd.DataFrame, low: pd.DataFrame, high: pd.DataFrame, title: str):
    """One line per column of `values` against its index (intensity, log scale), with a band low to high."""
    figure = _figure(7.5, 4.5)
    axes = figure.subplots()
    for pipeline in values.columns:
        order = values.index.sort_values()
        (line,) = axes.plot(order, values.loc[order, pipeline], marker="o", label=_short(pipeline))
        axes.fill_between(order, low.loc[order, pipeline], high.loc[order, pipeline], color=line.get_color(), alpha=0.1)
    axes.set_xscale("log")
    axes.set_xlabel("intensity (fraction of the full exposure)")
    axes.set_ylabel(title.split(",")[0])
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=6, ncols=2)
    return figure


def against_weight(rows: pd.DataFrame, metric: str, title: str):
    """The metric after a search against its penalty weight (log scale) with its interval, the metric before
    as a dashed line; a weight of 0 is drawn at the smallest positive weight / 10."""
    figure = _figure(6.0, 4.0)
    axes = figure.subplots()
    positive = rows["weight"][rows["weight"] > 0]
    floor = positive.min() / 10 if len(positive) else 1.0
    weights = rows["weight"].where(rows["weight"] > 0, floor)
    axes.plot(weights, rows["after"], marker="o", label="after the search")
    axes.fill_between(weights, rows["after_low"], rows["after_high"], alpha=0.2)
    axes.axhline(rows["before"].iloc[0], linestyle="--", color="grey", label="default processing")
    axes.set_xscale("log")
    axes.set_xlabel("penalty weight (lambda)")
    axes.set_ylabel(metric)
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=8)
    return figure
