"""`lens2logit check PACKAGE`: passes on a converted package, names each problem it is built to find."""

import json
import shutil

import pytest

from conversion import package_check
from conversion.cli import main
from conversion.package_check import check_package


@pytest.fixture
def copy(package, tmp_path):
    out = tmp_path / "package"
    shutil.copytree(package, out)
    return out


def test_converted_package_passes(package, capsys):
    report = check_package(package)
    assert report.problems == []
    shards = sorted(package.rglob("*.parquet"))
    assert report.shards == len(shards)
    infos = json.loads((package / "dataset_infos.json").read_text())
    assert report.rows == {
        f"{config}/{split}": infos[config]["splits"][split]["num_examples"]
        for config in ("drone", "drone_classification", "drone_full", "microscopy")
        for split in ("train", "test")
    }
    assert report.previews == sum(report.rows.values())
    assert main(["check", str(package)]) == 0
    assert "ok; " in capsys.readouterr().out


def test_shard_missing_from_yaml(copy, capsys):
    stray = copy / "microscopy" / "validation" / "raw_scale100-00000-of-00001.parquet"
    stray.parent.mkdir()
    shutil.copy(next((copy / "microscopy" / "test").glob("*.parquet")), stray)
    assert main(["check", str(copy)]) == 1
    assert f"{stray}: in no config's data_files" in capsys.readouterr().err


def test_glob_matching_nothing_and_counts(copy):
    for shard in (copy / "drone" / "test").glob("*.parquet"):
        shard.unlink()
    problems = check_package(copy).problems
    assert "drone/test: data_files pattern 'drone/test/*.parquet' matches no file" in problems
    assert any(p.startswith("drone/test: 0 rows in the shards, ") and p.endswith("in README.md") for p in problems)


def test_row_group_over_the_limit(copy, monkeypatch):
    monkeypatch.setattr(package_check, "MAX_ROW_GROUP_BYTES", 2**20)
    problems = check_package(copy).problems
    assert problems
    assert all("uncompressed, over the 1,048,576 limit" in problem for problem in problems)


def test_mismatched_features(copy):
    infos = json.loads((copy / "dataset_infos.json").read_text())
    infos["drone"]["features"]["car_fraction"]["dtype"] = "float64"
    (copy / "dataset_infos.json").write_text(json.dumps(infos))
    assert check_package(copy).problems == ["drone: features in dataset_infos.json differ from the card's"]
    card = (copy / "README.md").read_text().replace("dtype: int32", "dtype: int64", 1)
    (copy / "README.md").write_text(card)
    problems = check_package(copy).problems
    assert any("Parquet features differ from the card's features of drone" in p for p in problems)


def test_python_file_and_broken_yaml(copy):
    (copy / "lens2logit.py").write_text("")
    assert check_package(copy).problems == [f"{copy / 'lens2logit.py'}: a Python file; the Hub package holds none"]
    (copy / "README.md").write_text("---\nconfigs: [\n---\n")
    assert any("card YAML does not parse" in p for p in check_package(copy).problems)
