"""The Examples sections of the public API's docstrings run as written."""

import doctest
import importlib

import pytest

PUBLIC = [
    "lens2logit",  # the builder
    "_lens2logit.processing.dispatch",  # process
    "_lens2logit.processing.recipe",  # Camera
    "_lens2logit.reading.pixels",  # pixels
    "_lens2logit.reading.loader",  # loader
]


@pytest.mark.parametrize("name", PUBLIC)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
