"""Drift evaluation: any model's metrics over the intensities and pipelines of a split, with intervals.

`evaluate` gives a `DriftReport` (a tidy table, pivots, a summary, CSV and JSON, a heatmap and a plot
against intensity); `cross_matrix` the authors' train-pipeline x test-pipeline study, `folds` their 5 folds;
`Metric` adds a metric. `search` finds the processing numbers that break a model most near the default
processing (drift forensics), `search_curve` against the penalty weight.
"""

from .cross import CrossReport, cross_matrix
from .evaluation import evaluate
from .folds import Fold, folds
from .metrics import Metric
from .report import DriftReport
from .search import search, search_curve
from .search_report import SearchCurve, SearchResult

__all__ = [
    "CrossReport",
    "DriftReport",
    "Fold",
    "Metric",
    "SearchCurve",
    "SearchResult",
    "cross_matrix",
    "evaluate",
    "folds",
    "search",
    "search_curve",
]
