"""The examples run end to end, in a reduced form, on the sample package."""

import subprocess
import sys
from pathlib import Path

import pandas as pd

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "drift_study.py"


def test_the_drift_study_trains_evaluates_and_writes_its_report(package, tmp_path):
    out = tmp_path / "drift"
    pipelines = ["bilinear-sharpening_filter-gaussian_denoising", "menon2007-unsharp_masking-median_denoising"]
    command = [sys.executable, str(EXAMPLE), "--package", str(package), "--out", str(out), "--epochs", "2"]
    command += ["--intensities", "1.0", "0.05", "--pipelines", *pipelines]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path,
                            env={"HF_HOME": str(tmp_path / "home"), "PATH": ""})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "epoch 2/2: loss" in result.stdout
    assert f"model {pipelines[0]}, iou:" in result.stdout
    table = pd.read_csv(out / "drift.csv")
    assert set(table["pipeline"]) == {*pipelines, *(f"stored:{p}" for p in pipelines)}
    assert set(table["intensity"]) == {1.0, 0.05}
    iou = table[table["metric"] == "iou"]
    assert len(iou) == 6
    assert set(iou["n"]) == {5}  # the sample's test tiles
    reference = iou[(iou["intensity"] == 1.0) & (iou["pipeline"] == pipelines[0])]
    assert reference["delta"].tolist() == [0.0]
    assert sorted(p.name for p in out.iterdir()) == [
        "drift.csv", "drift.json", "heatmap-iou.png", "iou-by-intensity.png"
    ]  # fmt: skip


LEARNED = EXAMPLE.parent / "learned_processing.py"


def test_the_learned_processing_example_trains_evaluates_and_searches(package, tmp_path):
    command = [sys.executable, str(LEARNED), "--package", str(package), "--epochs", "2", "--steps", "3"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path,
                            env={"HF_HOME": str(tmp_path / "home"), "PATH": ""})  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("epoch 2/2: loss") == 2
    assert "numbers learned: {'black_level': [" in out
    assert "search of white_balance in bilinear-sharpening_filter-gaussian_denoising at 0.05" in out
    assert "3 steps on 12 images; reported on 5 others:" in out  # searched on train, reported on test
    assert out.count("  iou: ") == 2
    assert "  gamma: 2.2 -> " in out
