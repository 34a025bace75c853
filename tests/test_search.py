"""drift.search and drift.search_curve on a toy model that reads one colour channel: the search breaks it, a
large penalty keeps the images and the accuracy, the same seed gives the same result, and the images searched
on are not the ones reported on."""

import datasets
import numpy as np
import pandas as pd
import pytest
import torch

from _lens2logit.drift import search, search_curve
from _lens2logit.drift.search import _divided
from _lens2logit.errors import ArgumentTypeError, InvalidArgumentError
from _lens2logit.processing.dispatch import process

PIPELINE = "bilinear-sharpening_filter-gaussian_denoising"
IMAGES = 40


@pytest.fixture(scope="module")
def toy():
    """40 mosaics whose red sites grow brighter image by image, labelled `bright` where the red of the default
    processing is above its median; and a model that gives exactly that: accuracy 1 before any search."""
    noise = np.random.default_rng(0)
    mosaics = []
    for i in range(IMAGES):
        mosaic = np.full((16, 16), 3000, np.uint16)
        mosaic[0::2, 0::2] = 1500 + 150 * i
        mosaics.append(mosaic + noise.integers(0, 200, (16, 16)).astype(np.uint16))
    reds = [process(m, PIPELINE, "microscopy")[..., 0].mean() for m in mosaics]
    threshold = float(np.median(reds))
    features = datasets.Features(
        {
            "image_id": datasets.Value("string"),
            "label": datasets.ClassLabel(names=["dim", "bright"]),
            "intensity": datasets.Value("float64"),
            "raw": datasets.Array2D((16, 16), "uint16"),
        }
    )
    rows = {
        "image_id": [f"image-{i:02d}" for i in range(IMAGES)],
        "label": [int(red > threshold) for red in reds],
        "intensity": [1.0] * IMAGES,
        "raw": mosaics,
    }
    split = datasets.Dataset.from_dict(rows, features=features)

    def red_model(rgb):
        red = rgb[:, 0].mean((1, 2))
        return torch.stack([threshold - red, red - threshold], dim=1) * 50

    return split, red_model


def _accuracy(result) -> pd.Series:
    return result.table.set_index("metric").loc["accuracy"]


def test_the_search_over_the_white_balance_breaks_the_model(toy):
    split, model = toy
    result = search(model, split, PIPELINE, "white_balance", weight=0, steps=50, lr=0.05, resamples=200, progress=False)
    accuracy = _accuracy(result)
    assert accuracy["before"] == 1.0
    assert accuracy["after"] < 0.7
    assert accuracy["delta_high"] < 0  # the paired interval of the drop excludes 0
    assert accuracy["n"] == IMAGES // 2
    assert result.start == {"white_balance": pytest.approx([-0.6567, 1.9673, 3.5304], abs=1e-6)}
    assert result.parameters["white_balance"] != pytest.approx(result.start["white_balance"], abs=0.1)
    assert result.distance["l2"] > 1e-3
    assert list(result.history.columns) == ["step", "loss", "distance", "objective"]
    assert len(result.history) == 50
    assert result.history["loss"].iloc[-1] > result.history["loss"].iloc[0]  # the model's loss was raised
    assert torch.equal(result.module.white_balance.detach(), torch.tensor(result.parameters["white_balance"]))


def test_a_large_penalty_keeps_the_images_and_the_accuracy(toy):
    split, model = toy
    for penalty, weight in (("l2", 1000.0), ("ssim", 10000.0)):
        result = search(model, split, PIPELINE, "white_balance", penalty=penalty, weight=weight, steps=50, lr=0.05,
                        resamples=200, progress=False)  # fmt: skip
        assert _accuracy(result)["after"] >= 0.95, penalty
        assert result.distance["l2"] < 1e-4, penalty
        assert result.distance["ssim"] > 0.99, penalty


def test_the_same_seed_gives_the_same_result_and_the_parts_are_disjoint(toy):
    split, model = toy
    options = {"weight": 0.0, "steps": 10, "lr": 0.05, "resamples": 100, "progress": False}
    first, again = (search(model, split, PIPELINE, ("white_balance", "gamma"), seed=3, **options) for _ in range(2))
    assert first.parameters == again.parameters
    pd.testing.assert_frame_equal(first.table, again.table)
    other = search(model, split, PIPELINE, ("white_balance", "gamma"), seed=4, **options)
    assert other.parameters != first.parameters

    searched, reported = _divided(split, 1.0, 0.25, seed=3)
    assert not set(searched) & set(reported)
    assert sorted(searched + reported) == list(range(IMAGES))
    assert len(reported) == 10
    assert _divided(split, 1.0, 0.25, seed=3) == (searched, reported)
    assert _divided(split, 1.0, 0.25, seed=4)[1] != reported


def test_the_curve_falls_as_the_weight_falls(toy):
    split, model = toy
    curve = search_curve(model, split, PIPELINE, weights=[1000, 0], parameters="white_balance", steps=50, lr=0.05,
                         resamples=100, progress=False)  # fmt: skip
    accuracy = curve.table[curve.table["metric"] == "accuracy"].set_index("weight")
    assert list(accuracy.index) == [0, 1000]
    assert accuracy.loc[0, "after"] < 0.7
    assert accuracy.loc[1000, "after"] >= 0.95
    assert accuracy.loc[0, "l2"] > accuracy.loc[1000, "l2"]
    assert "weight 0: " in str(curve)
    figure = curve.plot()
    assert figure.axes[0].get_xscale() == "log"


def test_bad_arguments_are_named(toy):
    split, model = toy
    with pytest.raises(InvalidArgumentError, match="cannot learn hue"):
        search(model, split, PIPELINE, "hue", progress=False)
    with pytest.raises(InvalidArgumentError, match="no parameters to search"):
        search(model, split, PIPELINE, (), progress=False)
    with pytest.raises(InvalidArgumentError, match="penalty must be one of"):
        search(model, split, PIPELINE, penalty="l1", progress=False)
    with pytest.raises(InvalidArgumentError, match="weight must be 0 or more"):
        search(model, split, PIPELINE, weight=-1, progress=False)
    with pytest.raises(InvalidArgumentError, match="intensities are some of"):
        search(model, split, PIPELINE, intensity=0.3, progress=False)
    with pytest.raises(InvalidArgumentError, match="cannot be divided"):
        search(model, split.select([0]), PIPELINE, progress=False)
    with pytest.raises(InvalidArgumentError, match=r"model 'model' gave \(1, 3\)"):
        search(lambda rgb: torch.zeros(len(rgb), 3), split, PIPELINE, progress=False)
    with pytest.raises(ArgumentTypeError, match="one map-style split"):
        search(model, split.to_iterable_dataset(), PIPELINE, progress=False)


def test_another_split_can_be_reported_on(toy):
    split, model = toy
    search_part, report_part = split.select(range(0, IMAGES, 2)), split.select(range(1, IMAGES, 2))
    result = search(model, search_part, PIPELINE, "white_balance", weight=0, steps=20, lr=0.05, report=report_part,
                    resamples=50, progress=False)  # fmt: skip
    assert (result.settings["search_images"], result.settings["report_images"]) == (IMAGES // 2, IMAGES // 2)
    assert result.settings["holdout"] is None
    assert _accuracy(result)["n"] == IMAGES // 2
    with pytest.raises(ArgumentTypeError, match="report takes one map-style split"):
        search(model, split, PIPELINE, report=[1, 2], progress=False)
