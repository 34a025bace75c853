"""What `search` and `search_curve` give: the numbers found, the metrics before and after, the distances."""

import json
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from ..facts import DATA_VERSION
from ..output import write_text_atomically
from .report import records


@dataclass
class SearchResult:
    """One search: `parameters` found and their `start` (the default numbers), by name; `table`, each metric
    `before` and `after` on the report images with intervals and the paired `delta` (after - before);
    `distance`, the mean `l2` and `ssim` of the found processing to the default on those images; `history`,
    each step's loss, distance and objective; `module`, the found `ProcessingModule`; `settings`, what was
    searched."""

    parameters: dict[str, list]
    start: dict[str, list]
    table: pd.DataFrame
    distance: dict[str, float]
    history: pd.DataFrame
    module: object
    settings: dict

    def __str__(self) -> str:
        s = self.settings
        lines = [
            f"search of {', '.join(s['parameters'])} in {s['pipeline']} at {s['intensity']:.2f}, {s['penalty']} "
            f"penalty, weight {s['weight']:g}, {s['steps']} steps on {s['search_images']} images; reported on "
            f"{s['report_images']} others:"
        ]
        lines += [
            f"  {row.metric}: {row.before:.3f} [{row.before_low:.3f}, {row.before_high:.3f}] -> {row.after:.3f} "
            f"[{row.after_low:.3f}, {row.after_high:.3f}], delta {row.delta:+.3f} "
            f"[{row.delta_low:+.3f}, {row.delta_high:+.3f}]"
            for row in self.table.itertuples()
            if not row.metric.startswith("recall:")  # per class: in the table
        ]
        lines.append(
            f"  distance to the default processing: L2 {self.distance['l2']:.3g}, SSIM {self.distance['ssim']:.3f}"
        )
        lines += [
            f"  {name}: {_rounded(self.start[name])} -> {_rounded(value)}" for name, value in self.parameters.items()
        ]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "searched": {**self.settings, "lens2logit_version": version("lens2logit"), "data_version": DATA_VERSION},
            "start": self.start,
            "parameters": self.parameters,
            "distance": self.distance,
            "table": records(self.table),
        }


class SearchCurve:
    """`search` at several penalty weights: `table`, one row per (weight, metric) with the metric before and
    after, the after interval, the paired delta and the distances reached; `results`, each `SearchResult`."""

    def __init__(self, results: list[SearchResult]):
        self.results = results
        parts = [
            result.table.assign(
                weight=result.settings["weight"], l2=result.distance["l2"], ssim=result.distance["ssim"]
            )
            for result in results
        ]
        columns = ["weight", "metric", "before", "after", "after_low", "after_high", "delta", "delta_low",
                   "delta_high", "l2", "ssim", "n"]  # fmt: skip
        self.table = pd.concat(parts, ignore_index=True)[columns]

    def __str__(self) -> str:
        metric = self.table["metric"].iloc[0]
        rows = self.table[self.table["metric"] == metric]
        lines = [f"{metric} after the search against the penalty weight (before: {rows['before'].iloc[0]:.3f}):"]
        lines += [
            f"  weight {row.weight:g}: {row.after:.3f} [{row.after_low:.3f}, {row.after_high:.3f}], L2 {row.l2:.3g}, "
            f"SSIM {row.ssim:.3f}"
            for row in rows.itertuples()
        ]
        return "\n".join(lines)

    def to_csv(self, path) -> None:
        """The table as CSV, written atomically."""
        write_text_atomically(Path(path), self.table.to_csv(index=False))

    def to_json(self, path) -> None:
        """Every search's settings, numbers found, distances and table, written atomically."""
        text = json.dumps([result.to_dict() for result in self.results], indent=1)
        write_text_atomically(Path(path), text + "\n")

    def plot(self, metric: str | None = None):
        """A matplotlib Figure: the metric after the search against the weight (log scale), with its interval,
        and the metric before as a line. Needs matplotlib (`pip install "lens2logit[plots]"`)."""
        from .plots import against_weight

        metric = metric or self.table["metric"].iloc[0]
        rows = self.table[self.table["metric"] == metric].sort_values("weight")
        s = self.results[0].settings
        title = f"{metric} after searching {', '.join(s['parameters'])} ({s['pipeline']}, {s['penalty']} penalty)"
        return against_weight(rows, metric, title)


def _rounded(value):
    return round(value, 4) if isinstance(value, float) else [_rounded(v) for v in value]
