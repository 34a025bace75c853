"""The public API: the Examples sections of its docstrings run as written, and a bad argument raises one family."""

import doctest
import importlib
import subprocess
import sys

import datasets
import numpy as np
import pytest

from _lens2logit.errors import InvalidArgumentError, Lens2LogitError
from lens2logit import Lens2Logit, pixels, process

PUBLIC = [
    "lens2logit",  # the builder
    "_lens2logit.processing.dispatch",  # process
    "_lens2logit.processing.recipe",  # Camera
    "_lens2logit.processing.torch_module",  # ProcessingModule
    "_lens2logit.reading.pixels",  # pixels
    "_lens2logit.reading.loader",  # loader
    "_lens2logit.drift.evaluation",  # drift.evaluate
    "_lens2logit.drift.metrics",  # drift.Metric
]
PIPELINE = "bilinear-sharpening_filter-gaussian_denoising"


@pytest.mark.parametrize("name", PUBLIC)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.fixture(scope="module")
def split():
    features = datasets.Features({"raw": datasets.Array2D((4, 4), "uint16")})
    return datasets.Dataset.from_dict({"raw": [np.zeros((4, 4), np.uint16)]}, features=features)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda split: process(np.zeros((4, 4), np.uint16), "bogus"), "unknown pipeline 'bogus'"),
        (lambda split: process(np.zeros((4, 4), np.uint16), PIPELINE, camera="phone"), "unknown camera 'phone'"),
        (lambda split: process(np.zeros((4, 4), np.uint16), PIPELINE, unsharp="3d"), "unsharp must be one of"),
        (lambda split: process(np.zeros((3, 4), np.uint16), PIPELINE), r"even, non-zero sides .* got shape \(3, 4\)"),
        (lambda split: pixels(split, "jax"), "framework must be one of"),
        (lambda split: pixels(split, rows="all"), "rows must be one of"),
        (lambda split: pixels(split, pipeline="bogus"), "unknown pipeline 'bogus'"),
        (lambda split: Lens2Logit(config_name="microscopy", view_dtype="float32").info, "view_dtype must be one of"),
    ],
)
def test_a_bad_argument_raises_a_value_error_of_ours(split, call, message):
    with pytest.raises(InvalidArgumentError, match=message) as raised:
        call(split)
    assert isinstance(raised.value, ValueError)
    assert isinstance(raised.value, Lens2LogitError)


def test_a_dataset_of_another_kind_is_a_type_error_of_ours():
    with pytest.raises(TypeError, match="pixels takes a datasets.Dataset or IterableDataset") as raised:
        pixels({"raw": []})
    assert isinstance(raised.value, Lens2LogitError)


def test_import_loads_no_processing_training_or_plotting_library():
    """`import lens2logit` needs datasets; scikit-learn, scipy, scikit-image, colour, torch, torchmetrics and
    matplotlib load on first use (`benchmarks/import_time.py` times it)."""
    heavy = ["sklearn", "scipy", "skimage", "colour_demosaicing", "colour", "torch", "torchmetrics", "matplotlib"]
    code = f"import sys, lens2logit; from lens2logit import process; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
