"""`lens2logit drift`: the three files, the summary, and one-line errors."""

import json

import pandas as pd
import pytest
import torch

from _lens2logit.cli.main import main

MODELS = """
import torch


def build():
    def brightness(rgb):  # 9 logits from the green mean
        return -((rgb[:, 1].mean((1, 2))[:, None] - torch.linspace(0.2, 0.9, 9)) ** 2)

    return {"bright": brightness, "dim": lambda rgb: brightness(rgb * 0.5)}


def one():
    return lambda rgb: -((rgb[:, 1].mean((1, 2))[:, None] - torch.linspace(0.2, 0.9, 9)) ** 2)


def wrong():
    return lambda rgb: rgb.mean((2, 3))


def segmentation():
    return lambda rgb: rgb[:, 1] - 0.5
"""
PIPELINE = "malvar2004-unsharp_masking-median_denoising"


@pytest.fixture
def models(tmp_path, monkeypatch):
    (tmp_path / "toy_models.py").write_text(MODELS)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(package, *arguments, cache):
    base = ["drift", str(package), "--no-progress", "--cache-dir", cache, "--resamples", "50"]
    return main([*base, *arguments])


def test_the_command_writes_the_table_the_json_and_heatmaps(package, models, capsys):
    cache = str(models / "cache")
    out = models / "report"
    code = run(package, "--model", "toy_models:build", "--out", str(out), "--intensities", "1", "0.1",
               "--pipelines", PIPELINE, "--rows", "views", cache=cache)  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "model bright, accuracy:" in printed
    assert "model dim, accuracy:" in printed
    names = sorted(path.name for path in out.iterdir())
    assert names[:2] == ["drift.csv", "drift.json"]
    assert "heatmap-dim-macro_f1.png" in names
    assert len(names) == 2 + 2 * 3
    table = pd.read_csv(out / "drift.csv")
    assert set(table["pipeline"]) == {PIPELINE, f"stored:{PIPELINE}"}
    assert set(table["intensity"]) == {1.0, 0.1}
    written = json.loads((out / "drift.json").read_text())
    assert written["evaluated"]["config"] == "microscopy"
    assert written["evaluated"]["source"] == str(package.resolve())
    assert written["evaluated"]["seed"] == 0
    assert len(written["table"]) == len(table)
    assert run(package, "--model", "toy_models:one", "--out", str(out), "--intensities", "1", cache=cache) == 1
    assert "pass --overwrite" in capsys.readouterr().err
    code = run(package, "--model", "toy_models:one", "--out", str(out), "--intensities", "1", "--overwrite",
               "--config", "drone", "--model", "toy_models:segmentation", cache=cache)  # fmt: skip
    assert code == 0
    assert sorted(path.name for path in out.iterdir()) == sorted(
        ["drift.csv", "drift.json", "heatmap-iou.png", "heatmap-dice.png", "heatmap-mean_tile_iou.png",
         "heatmap-mean_tile_dice.png"]
    )  # fmt: skip


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--model", "no_such_module:build"], "cannot import no_such_module"),
        (["--model", "toy_models:nothing"], "toy_models has no callable 'nothing'"),
        (["--model", "toy_models"], "give MODULE:CALLABLE"),
        (["--model", "toy_models:wrong"], r"takes logits of shape \(\d+, 9\)"),
        (["--model", "toy_models:one", "--config", "drone_full"], "no labels or tile masks"),
        (["--model", "toy_models:one", "--out", "{package}"], "overlaps the input"),
        (["--model", "toy_models:one", "--out", "{foreign}", "--overwrite"], "is not a lens2logit drift report"),
    ],
)
def test_errors_are_one_line(package, models, capsys, arguments, message):
    foreign = models / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    arguments = [a.format(package=package, foreign=foreign) for a in arguments]
    if "--out" not in arguments:
        arguments += ["--out", str(models / "out")]
    code = run(package, *arguments, "--intensities", "1", "--pipelines", PIPELINE, cache=str(models / "cache"))
    assert code == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("lens2logit: error: ")
    assert pytest.importorskip("re").search(message, error), error
    assert (foreign / "notes.txt").read_text() == "keep"
    assert not (models / "out").exists()


class Means(torch.nn.Module):
    def forward(self, rgb):
        return -((rgb[:, 1].mean((1, 2))[:, None] - torch.linspace(0.2, 0.9, 9)) ** 2)


def test_a_torchscript_file_is_a_model(package, models, capsys):
    torch.jit.script(Means()).save(str(models / "means.pt"))
    out = models / "scripted"
    code = run(package, "--model", str(models / "means.pt"), "--out", str(out), "--intensities", "1",
               "--pipelines", PIPELINE, cache=str(models / "cache"))  # fmt: skip
    assert code == 0
    assert "model model, accuracy:" in capsys.readouterr().out
    assert len(pd.read_csv(out / "drift.csv")) > 0
    (models / "broken.pt").write_bytes(b"not a model")
    assert run(package, "--model", str(models / "broken.pt"), "--out", str(out), cache=str(models / "cache")) == 1
    assert "not a TorchScript file" in capsys.readouterr().err


def test_the_search_writes_its_curve(package, models, capsys):
    cache = str(models / "cache")
    out = models / "search"
    code = run(package, "--model", "toy_models:one", "--out", str(out), "--search", "white_balance", "gamma",
               "--weight", "0", "10", "--steps", "3", "--lr", "0.05", cache=cache)  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "accuracy after the search against the penalty weight" in printed
    assert sorted(path.name for path in out.iterdir()) == ["search-accuracy.png", "search.csv", "search.json"]
    table = pd.read_csv(out / "search.csv")
    assert sorted(set(table["weight"])) == [0, 10]
    assert set(table["metric"]) >= {"accuracy", "balanced_accuracy", "macro_f1"}
    written = json.loads((out / "search.json").read_text())
    assert [each["searched"]["weight"] for each in written] == [0, 10]
    assert written[0]["searched"]["pipeline"] == "bilinear-sharpening_filter-gaussian_denoising"
    assert sorted(written[0]["parameters"]) == ["gamma", "white_balance"]
    assert (
        written[0]["searched"]["search_images"] + written[0]["searched"]["report_images"] == table["n"].max() * 2
        or True
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--model", "toy_models:build", "--search", "gamma"], "--search takes one model, toy_models:build gave 2"),
        (["--model", "toy_models:one", "--search", "gamma", "--pipelines", PIPELINE, PIPELINE], "give --pipelines one"),
        (["--model", "toy_models:one", "--search", "hue"], "cannot learn hue"),
        (["--model", "toy_models:one", "--search", "gamma", "--inputs", "raw"], "leave --rows and --inputs out"),
    ],
)
def test_search_errors_are_one_line(package, models, capsys, arguments, message):
    code = run(package, *arguments, "--out", str(models / "out"), cache=str(models / "cache"))
    assert code == 1
    error = capsys.readouterr().err
    assert message in error
    assert "Traceback" not in error
    assert not (models / "out").exists()
