"""A report's folder: `drift.csv`, `drift.json` and heatmaps (or a search's `search.csv`, `search.json` and plot),
written whole, and only over a folder of ours."""

import re
from pathlib import Path

from ..output import files_under, staged_output
from .report import DriftReport
from .search_report import SearchCurve
from .tasks import METRICS

OURS = re.compile(r"drift\.csv|drift\.json|heatmap-[\w.:-]+\.png|search\.csv|search\.json|search-[\w.:-]+\.png")


def _foreign(folder: Path) -> list[str]:
    return [name for name in files_under(folder) if not OURS.fullmatch(name)]


def report_folder(out: Path, overwrite: bool = False, inputs=()):
    """A staging folder that becomes `out` when the block completes (refused at once when `out` holds files that
    are not a drift report's, or exists and `overwrite` is not given)."""
    return staged_output(Path(out), overwrite, _foreign, "a lens2logit drift report", inputs)


def write(report: DriftReport, folder: Path) -> list[str]:
    """Write `drift.csv`, `drift.json` and a heatmap of each headline metric of each model (`heatmap-<metric>.png`,
    `heatmap-<model>-<metric>.png` for several models) into `folder`; the file names written."""
    models = report.evaluated["models"]
    metrics = [metric for metric in report.metrics if metric in METRICS[report.evaluated["task"]]]
    report.to_csv(folder / "drift.csv")
    report.to_json(folder / "drift.json")
    written = ["drift.csv", "drift.json"]
    for model in models:
        for metric in metrics:
            name = f"heatmap-{metric}.png" if len(models) == 1 else f"heatmap-{model}-{metric}.png"
            report.heatmap(metric, model).savefig(folder / name, dpi=120, metadata={"Software": None})
            written.append(name)
    return written


def write_search(curve: SearchCurve, folder: Path) -> list[str]:
    """Write `search.csv`, `search.json` and `search-<metric>.png` (the headline metric against the weight) into
    `folder`; the file names written."""
    metric = curve.table["metric"].iloc[0]
    curve.to_csv(folder / "search.csv")
    curve.to_json(folder / "search.json")
    curve.plot(metric).savefig(folder / f"search-{metric}.png", dpi=120, metadata={"Software": None})
    return ["search.csv", "search.json", f"search-{metric}.png"]
