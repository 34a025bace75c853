"""Drift evaluation: toy models with known rules over the sample's splits, checked against an independent loop
(the numpy reference `process` per image, the rule, then scikit-learn's metric), and the report, seeds, one
pass for many models, the cross matrix and the errors."""

import datasets
import numpy as np
import pandas as pd
import pytest
import torch
from helpers import read_labels, source_frame, source_mask, source_raw, source_tile, source_view
from sklearn import metrics
from sklearn.model_selection import StratifiedShuffleSplit

from _lens2logit.drift import passes
from _lens2logit.drift.bootstrap import nanquantile_rows
from _lens2logit.drift.metrics import Outputs, metric_values
from _lens2logit.drift.tasks import BINARY, CLASSIFICATION, SEGMENTATION, Task
from _lens2logit.errors import InvalidArgumentError, Lens2LogitError
from _lens2logit.facts import MICROSCOPY_CLASSES
from lens2logit import PIPELINES, drift, process

# One pipeline of each demosaicing; together they hold both sharpenings and both denoisings.
SOME = (
    "bilinear-sharpening_filter-gaussian_denoising",
    "malvar2004-unsharp_masking-median_denoising",
    "menon2007-unsharp_masking-gaussian_denoising",
)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("cache"))


def load(package, config, cache, split="test"):
    return datasets.load_dataset(str(package), config, split=split, cache_dir=cache)


def ids_of(split) -> list[str]:
    return sorted(set(split["image_id"]))


class Nearest:
    """Classification by the green channel's mean: the class of the nearest of the `centers`."""

    def __init__(self, centers):
        self.centers = torch.tensor(np.asarray(centers), dtype=torch.float32)

    def __call__(self, rgb):
        return -((rgb[:, 1].mean((1, 2))[:, None] - self.centers) ** 2)

    def expected(self, rgb: np.ndarray) -> int:  # (H, W, 3) float64
        return int(np.argmin((rgb[..., 1].mean() - self.centers.numpy().astype(np.float64)) ** 2))


def classification_expected(truth, predicted, classes):
    found = {
        "accuracy": metrics.accuracy_score(truth, predicted),
        "balanced_accuracy": metrics.recall_score(
            truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0
        ),
        "macro_f1": metrics.f1_score(truth, predicted, average="macro"),
    }
    recalls = metrics.recall_score(truth, predicted, labels=range(len(classes)), average=None, zero_division=0)
    return found | {f"recall:{name}": recalls[k] for k, name in enumerate(classes) if k in set(truth)}


def check_against(report, expected: dict, images: int):
    """Each (intensity, pipeline, metric) value equals the loop's; accuracy may differ by one image (float32 port
    against the float64 reference), and then the other metrics of that condition are not compared."""
    table = report.table.set_index(["intensity", "pipeline", "metric"])
    assert len(table) == sum(len(found) for found in expected.values())
    for (intensity, pipeline), found in expected.items():
        first = next(iter(found))
        flipped = table.loc[(intensity, pipeline, first), "value"] != pytest.approx(found[first], abs=1e-9)
        assert abs(table.loc[(intensity, pipeline, first), "value"] - found[first]) <= 1 / images + 1e-9
        for metric, value in found.items():
            if not flipped:
                assert table.loc[(intensity, pipeline, metric), "value"] == pytest.approx(value, abs=1e-6), metric


def check_intervals(table: pd.DataFrame):
    assert (table["low"] <= table["value"] + 1e-12).all()
    assert (table["value"] <= table["high"] + 1e-12).all()
    assert (table["delta_low"] <= table["delta"] + 1e-12).all()
    assert (table["delta"] <= table["delta_high"] + 1e-12).all()


def test_microscopy_against_an_independent_loop(package, archive_dir, cache):
    split = load(package, "microscopy", cache)
    labels = read_labels(archive_dir)
    ids = ids_of(split)
    truth = [MICROSCOPY_CLASSES.index(labels[image_id]) for image_id in ids]
    reference = {i: process(source_raw(archive_dir, i, 1.0), SOME[0], "microscopy") for i in ids}
    model = Nearest(np.quantile([rgb[..., 1].mean() for rgb in reference.values()], np.linspace(0.05, 0.95, 9)))
    report = drift.evaluate(model, split, intensities=[1.0, 0.05], pipelines=SOME, rows="views", resamples=200)
    expected = {}
    for intensity in (1.0, 0.05):
        for pipeline in SOME:
            rgbs = [process(source_raw(archive_dir, i, intensity), pipeline, "microscopy") for i in ids]
            predicted = [model.expected(rgb) for rgb in rgbs]
            expected[intensity, pipeline] = classification_expected(truth, predicted, MICROSCOPY_CLASSES)
    for pipeline in SOME:
        predicted = [model.expected(source_view(archive_dir, pipeline, i) / 255) for i in ids]
        expected[1.0, f"stored:{pipeline}"] = classification_expected(truth, predicted, MICROSCOPY_CLASSES)
    check_against(report, expected, len(ids))
    check_intervals(report.table)
    table = report.table
    assert set(table["n"][table["metric"] == "accuracy"]) == {len(ids)}
    recall = table[(table["metric"] == "recall:BAS")]
    assert set(recall["n"]) == {truth.count(0)}
    at_reference = table[(table["intensity"] == 1.0) & (table["pipeline"] == SOME[0])]
    assert (at_reference["delta"] == 0).all()
    other = table[(table["intensity"] == 0.05) & (table["pipeline"] == SOME[1]) & (table["metric"] == "accuracy")]
    base = table[(table["intensity"] == 1.0) & (table["pipeline"] == SOME[0]) & (table["metric"] == "accuracy")]
    assert other["delta"].iloc[0] == pytest.approx(other["value"].iloc[0] - base["value"].iloc[0])


def test_drone_segmentation_against_an_independent_loop(package, archive_dir, cache):
    split = load(package, "drone", cache)
    ids = ids_of(split)
    masks = {i: source_mask(archive_dir, "masks_tiles_256", i) for i in ids}
    threshold = float(np.median([process(source_tile(archive_dir, i, 1.0), SOME[0], "drone")[..., 1] for i in ids]))

    def model(rgb):
        return (rgb[:, 1:2] - threshold) * 100  # (B, 1, H, W): found where green exceeds the threshold

    report = drift.evaluate(model, split, intensities=[1.0, 0.1], pipelines=SOME[:2], resamples=200)
    expected = {}
    for intensity in (1.0, 0.1):
        for pipeline in SOME[:2]:
            found = {
                i: process(source_tile(archive_dir, i, intensity), pipeline, "drone")[..., 1] > threshold for i in ids
            }
            every_true = np.concatenate([masks[i].ravel() for i in ids])
            every_found = np.concatenate([found[i].ravel() for i in ids])
            expected[intensity, pipeline] = {
                "iou": metrics.jaccard_score(every_true, every_found),
                "dice": metrics.f1_score(every_true, every_found),
                "mean_tile_iou": np.mean([metrics.jaccard_score(masks[i].ravel(), found[i].ravel()) for i in ids]),
                "mean_tile_dice": np.mean([metrics.f1_score(masks[i].ravel(), found[i].ravel()) for i in ids]),
            }
    table = report.table.set_index(["intensity", "pipeline", "metric"])["value"]
    for (intensity, pipeline), found in expected.items():
        for metric, value in found.items():
            assert table[intensity, pipeline, metric] == pytest.approx(value, abs=2e-3), metric
    assert len(table) == 16
    check_intervals(report.table)
    assert set(report.table["n"]) == {len(ids)}


def test_drone_classification_against_an_independent_loop(package, archive_dir, cache):
    split = load(package, "drone_classification", cache)
    rows = split.filter(lambda row: row["intensity"] == 1.0).sort("image_id")
    cells = {r["image_id"]: (r["frame"], r["grid_row"], r["grid_col"], r["label"]) for r in rows}

    def tile(image_id, intensity):
        frame, row, column, _ = cells[image_id]
        return source_frame(archive_dir, frame, intensity)[
            row * 256 : (row + 1) * 256, column * 256 : (column + 1) * 256
        ]

    centre = float(np.median([process(tile(i, 1.0), SOME[2], "drone")[..., 0].mean() for i in cells]))

    def model(rgb):
        red = rgb[:, 0].mean((1, 2))
        return torch.stack([centre - red, red - centre], dim=1) * 100

    report = drift.evaluate(model, split, intensities=[1.0, 0.25], pipelines=SOME[2:], resamples=200)
    truth = [cells[i][3] for i in cells]
    expected = {}
    for intensity in (1.0, 0.25):
        red = np.array([process(tile(i, intensity), SOME[2], "drone")[..., 0].mean() for i in cells])
        expected[intensity, SOME[2]] = {
            "accuracy": metrics.accuracy_score(truth, (red > centre).astype(int)),
            "auroc": metrics.roc_auc_score(truth, red),
        }
    check_against(report, expected, len(cells))
    check_intervals(report.table)


def test_models_of_mosaics(package, archive_dir, cache):
    split = load(package, "microscopy", cache)
    labels = read_labels(archive_dir)
    ids = ids_of(split)
    means = {(i, v): source_raw(archive_dir, i, v).mean() / 65535 for i in ids for v in (1.0, 0.5, 0.01)}
    centers = np.quantile([means[i, 1.0] for i in ids], np.linspace(0.05, 0.95, 9))

    def model(mosaics):
        assert mosaics.ndim == 3
        assert mosaics.dtype == torch.float32
        assert float(mosaics.max()) <= 1
        return -((mosaics.mean((1, 2))[:, None] - torch.tensor(centers, dtype=torch.float32)) ** 2)

    report = drift.evaluate(model, split, inputs="raw", intensities=[1.0, 0.5, 0.01], resamples=100)
    truth = [MICROSCOPY_CLASSES.index(labels[i]) for i in ids]
    expected = {
        (v, "raw"): classification_expected(
            truth, [int(np.argmin((means[i, v] - centers) ** 2)) for i in ids], MICROSCOPY_CLASSES
        )
        for v in (1.0, 0.5, 0.01)
    }
    check_against(report, expected, len(ids))
    assert report.evaluated["reference"]["model"] == {"intensity": 1.0, "pipeline": "raw"}


def test_the_same_seed_gives_the_same_table_and_another_moves_only_the_intervals(package, cache):
    split = load(package, "microscopy", cache)
    model = Nearest(np.linspace(0.3, 0.9, 9))
    options = {"intensities": [1.0, 0.1], "pipelines": SOME[:2], "resamples": 300, "progress": False}
    first, again = drift.evaluate(model, split, **options), drift.evaluate(model, split, **options)
    pd.testing.assert_frame_equal(first.table, again.table)
    other = drift.evaluate(model, split, seed=1, **options).table
    pd.testing.assert_frame_equal(
        other.drop(columns=["low", "high", "delta_low", "delta_high"]),
        first.table.drop(columns=["low", "high", "delta_low", "delta_high"]),
    )
    moved = (other[["low", "high"]] != first.table[["low", "high"]]).any(axis=None)
    assert moved


def test_excluded_images_are_left_out_and_counted(package, archive_dir, cache):
    split = load(package, "microscopy", cache, split="train")
    labels = read_labels(archive_dir)
    ids = ids_of(split)
    excluded = [i for i in ids if labels[i] not in MICROSCOPY_CLASSES]
    assert excluded  # the sample holds images whose code the authors drop
    report = drift.evaluate(
        Nearest(np.linspace(0.3, 0.9, 9)), split, intensities=[1.0], pipelines=SOME[:1], resamples=50, progress=False
    )
    assert report.evaluated["excluded_images"] == len(excluded)
    assert report.evaluated["images"] == len(ids) - len(excluded)
    assert f"({len(excluded)} more excluded: label -1)" in str(report)


def test_many_models_share_one_processing_pass(package, cache, monkeypatch):
    split = load(package, "microscopy", cache)
    calls = []
    monkeypatch.setattr(passes, "process", lambda *args, **kwargs: calls.append(1) or process(*args, **kwargs))
    models = {f"m{k}": Nearest(np.linspace(0.2, 0.8, 9) + 0.01 * k) for k in range(12)}
    options = {"intensities": [1.0, 0.25], "pipelines": SOME[:2], "resamples": 100, "progress": False}
    many = drift.evaluate(models, split, **options)
    processed = len(calls)
    one = drift.evaluate(models["m5"], split, **options)
    assert len(calls) == 2 * processed
    alone = one.table.drop(columns="model").reset_index(drop=True)
    together = many.table[many.table["model"] == "m5"].drop(columns="model").reset_index(drop=True)
    pd.testing.assert_frame_equal(alone, together)


def test_the_cross_matrix_equals_one_evaluation_per_model(package, cache):
    split = load(package, "microscopy", cache)
    three = set(ids_of(split)[:3])  # every row of 3 images: each condition holds the same images
    split = split.select([i for i, image_id in enumerate(split["image_id"]) if image_id in three])
    models = {p: Nearest(np.linspace(0.2, 0.8, 9) + 0.02 * k) for k, p in enumerate(PIPELINES)}
    cross = drift.cross_matrix(models, split, resamples=100, progress=False)
    for pipeline, model in models.items():
        alone = (
            drift.evaluate(model, split, intensities=[1.0], reference=(1.0, pipeline), resamples=100, progress=False)
            .table.drop(columns="model")
            .reset_index(drop=True)
        )
        mine = cross.table[cross.table["model"] == pipeline].drop(columns="model").reset_index(drop=True)
        pd.testing.assert_frame_equal(alone, mine)
    matrix, drop = cross.matrix("accuracy"), cross.matrix("accuracy", drop=True)
    assert list(matrix.index) == list(matrix.columns) == list(PIPELINES)
    np.testing.assert_allclose(np.diag(drop.to_numpy()), 0)
    np.testing.assert_allclose(drop.to_numpy(), np.diag(matrix.to_numpy())[:, None] - matrix.to_numpy())
    cross.heatmap("accuracy", drop=True)


def test_the_report_pivots_summarises_and_writes(package, cache, tmp_path):
    split = load(package, "microscopy", cache)
    report = drift.evaluate(Nearest(np.linspace(0.3, 0.9, 9)), split, pipelines=SOME, resamples=100, progress=False)
    pivot = report.pivot("accuracy")
    assert list(pivot.index) == [1.0, 0.75, 0.5, 0.25, 0.1, 0.05, 0.01]
    assert list(pivot.columns) == list(SOME)
    summary = report.summary()["model"]
    accuracy = report.table[report.table["metric"] == "accuracy"]
    assert summary["worst"]["value"] == accuracy["value"].min()
    assert summary["mean"] == pytest.approx(accuracy["value"].mean())
    assert summary["reference"]["value"] == pivot.loc[1.0, SOME[0]]
    assert summary["drop_by_intensity"][0.01] == pytest.approx(pivot.loc[1.0, SOME[0]] - pivot.loc[0.01].mean())
    assert "mean over the 21 conditions" in str(report)
    report.to_csv(tmp_path / "drift.csv")
    report.to_json(tmp_path / "drift.json")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "drift.csv"), report.table, check_dtype=False)
    written = pd.read_json(tmp_path / "drift.json", typ="series")
    assert written["evaluated"]["images"] == 9
    assert len(written["table"]) == len(report.table)
    report.heatmap("accuracy").savefig(tmp_path / "heatmap.png")
    report.plot_intensity("macro_f1").savefig(tmp_path / "intensity.png")
    assert (tmp_path / "heatmap.png").read_bytes()[:4] == b"\x89PNG"


def test_metrics_equal_scikit_learn_on_any_resample():
    rng = np.random.default_rng(3)
    truth, predicted = rng.integers(0, 5, 60), rng.integers(0, 5, 60)
    truth[truth == 4] = 3  # a class only predicted
    scores = rng.random((60, 2))
    draws = np.vstack([np.arange(60), rng.integers(0, 60, (5, 60))])
    task = Task(CLASSIFICATION, "label", tuple("abcde"), "microscopy", True)
    found = metric_values(task, Outputs(truth, predicted, scores), draws, {})
    for k, rows in enumerate(draws):
        expected = classification_expected(truth[rows], predicted[rows], "abcde")
        for metric, value in expected.items():
            assert found[metric][k] == pytest.approx(value), metric
    binary = metric_values(
        Task(BINARY, "label", ("a", "b"), "drone", False), Outputs(truth % 2, predicted % 2, scores), draws, {}
    )
    for k, rows in enumerate(draws):
        assert binary["auroc"][k] == pytest.approx(metrics.roc_auc_score(truth[rows] % 2, scores[rows, 1]))
    masks, found_pixels = rng.random((8, 16, 16)) < 0.3, rng.random((8, 16, 16)) < 0.4
    counts = np.stack([(masks & found_pixels).sum((1, 2)), found_pixels.sum((1, 2)), masks.sum((1, 2))], axis=1)
    segmentation = metric_values(
        Task(SEGMENTATION, "mask", (), "drone", True), Outputs(counts=counts), draws[:, :8] % 8, {}
    )
    for k, rows in enumerate(draws[:, :8] % 8):
        assert segmentation["iou"][k] == pytest.approx(
            metrics.jaccard_score(masks[rows].ravel(), found_pixels[rows].ravel())
        )
        assert segmentation["dice"][k] == pytest.approx(
            metrics.f1_score(masks[rows].ravel(), found_pixels[rows].ravel())
        )


def test_a_metric_of_the_users(package, cache):
    split = load(package, "drone_classification", cache)
    centre = 0.3

    def model(rgb):
        red = rgb[:, 0].mean((1, 2))
        return torch.stack([centre - red, red - centre], dim=1)

    report = drift.evaluate(
        model,
        split,
        intensities=[1.0],
        pipelines=SOME[:1],
        resamples=20,
        progress=False,
        metrics={
            "errors": lambda y, p: float((y != p).sum()),
            "log_loss": drift.Metric(lambda y, s: metrics.log_loss(y, s, labels=[0, 1]), "scores"),
        },
    )
    table = report.table.set_index("metric")["value"]
    assert table["errors"] == pytest.approx((1 - table["accuracy"]) * report.evaluated["images"])
    assert table["log_loss"] > 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"pipelines": ["bogus"]}, "pipelines are some of"),
        ({"intensities": [0.3]}, "intensities are some of"),
        ({"inputs": "raw", "pipelines": SOME[:1]}, "leave pipelines and rows out"),
        ({"reference": (0.5, SOME[0]), "intensities": [1.0]}, "is not among the conditions"),
        ({"rows": "all"}, "rows must be one of"),
        ({"confidence": 95}, "confidence must lie between 0 and 1"),
        ({"resamples": 0}, "resamples must be 1 or more"),
    ],
)
def test_bad_arguments(package, cache, options, message):
    split = load(package, "microscopy", cache)
    with pytest.raises(InvalidArgumentError, match=message):
        drift.evaluate(Nearest(np.linspace(0, 1, 9)), split, **options)


def test_a_model_of_the_wrong_shape_and_a_config_without_labels(package, cache):
    split = load(package, "microscopy", cache)
    with pytest.raises(InvalidArgumentError, match=r"gave \(3, 3\) .* takes logits of shape \(3, 9\)"):
        drift.evaluate(lambda rgb: rgb.mean((2, 3)), split.select(range(3)), intensities=[1.0], pipelines=SOME[:1])
    with pytest.raises(Lens2LogitError, match="no labels or tile masks"):
        drift.evaluate(lambda rgb: rgb, load(package, "drone_full", cache))


def test_the_row_quantiles_equal_numpys_nanquantile():
    rng = np.random.default_rng(0)
    values = rng.random((300, 41))
    values[rng.random(values.shape) < 0.3] = np.nan
    values[3], values[4, 1:], values[5] = np.nan, np.nan, np.round(values[5], 1)  # none, one, and ties
    for q in (0.0, 0.025, 0.5, 0.975, 1.0):
        with pytest.warns(RuntimeWarning, match="All-NaN slice"):
            expected = np.nanquantile(values, q, axis=1)
        np.testing.assert_allclose(nanquantile_rows(values, q), expected, rtol=0, atol=1e-12, equal_nan=True)


def test_the_authors_folds_from_the_written_recipe(package, archive_dir, cache):
    """Their filter (codes of the allow-list with at least 5 lines, not the invalid file), their label-file order,
    StratifiedShuffleSplit(n_splits=5, train_size=0.8, random_state=1); the first fold is the package's split."""
    lines = [
        line.split() for line in (archive_dir / "microscopy/labels/Ma190c_annotations.dat").read_text().splitlines()
    ]
    allowed = "BAS EBO EOS KSC LYA LYT MMZ MOB MON MYB MYO NGB NGS PMB PMO UNC".split()
    counts = {code: sum(1 for _, c in lines if c == code) for _, code in lines}
    classes = sorted(code for code, count in counts.items() if code in allowed and count > 4)
    kept = [
        (name, code) for name, code in lines if code in classes and name != "Ma190c_lame3_zone13_composite_Mcropped_2"
    ]
    splitter = StratifiedShuffleSplit(n_splits=5, train_size=0.8, random_state=1)
    expected = [
        {kept[i][0] for i in test} for _, test in splitter.split(np.zeros(len(kept)), [code for _, code in kept])
    ]
    dataset = datasets.load_dataset(str(package), "microscopy", cache_dir=cache)
    found = drift.folds(dataset)
    assert [set(fold.test) for fold in found] == expected
    assert all(set(fold.train) == {name for name, _ in kept} - set(fold.test) for fold in found)
    assert set(found[0].test) == set(dataset["test"]["image_id"])
    assert set(found[1].test) != set(found[0].test)
    rows = found[1].splits(dataset)
    assert set(rows["test"]["image_id"]) == set(found[1].test)
    assert rows["test"].num_rows == len(found[1].test) * 19  # every intensity and view of each image
    with pytest.raises(InvalidArgumentError, match="no label_order column: .* convert the archive again"):
        drift.folds(dataset.remove_columns("label_order"))
