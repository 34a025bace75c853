"""`lens2logit check PACKAGE`: passes on a converted package, names each problem it is built to find."""

import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from _lens2logit.cli.main import main
from _lens2logit.package import check as package_check
from _lens2logit.package.check import check_package


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
    stray = copy / "microscopy" / "validation" / "00-raw_scale100-00000-of-00001.parquet"
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


TEST = "microscopy/test"
FIRST = f"{TEST}/00-raw_scale100-00000-of-00001.parquet"
VIEW = f"{TEST}/07-bilinear-sharpening_filter-gaussian_denoising-00000-of-00001.parquet"


def rewrite(shard, table: pa.Table, **options) -> None:
    pq.write_table(table, shard, compression="zstd", **options)


def test_shards_in_another_order_than_the_rows(copy):
    first, view = copy / FIRST, copy / VIEW
    first.rename(copy / "swap")
    view.rename(first)
    (copy / "swap").rename(view)
    problems = check_package(copy).problems
    assert f"{first}: holds rows of another condition than raw_scale100 (view)" in problems
    view_name = "bilinear-sharpening_filter-gaussian_denoising"
    assert f"{view}: holds rows of another condition than {view_name} (view)" in problems
    unranked = copy / TEST / "raw_scale100-00000-of-00001.parquet"
    (copy / FIRST).rename(unranked)
    assert f"{unranked}: not named <rank>-<condition>-IIIII-of-NNNNN.parquet" in check_package(copy).problems


def test_rows_out_of_id_order(copy):
    table = pq.read_table(copy / FIRST)
    rewrite(copy / FIRST, table.take(list(reversed(range(len(table))))), use_dictionary=False)
    problems = [p for p in check_package(copy).problems if "out of row order" in p]
    ids = table["image_id"].to_pylist()
    assert problems == [f"{copy / FIRST}: row {ids[-2]} is out of row order, after {ids[-1]}"]


def test_columns_out_of_order_bss_integers_and_missing_previews(copy):
    table = pq.read_table(copy / FIRST)
    names = table.column_names
    swapped = table.select([names[1], names[0], *names[2:]])
    rewrite(copy / FIRST, swapped.replace_schema_metadata(table.schema.metadata))
    problems = check_package(copy).problems
    assert any(p.startswith(f"{copy / FIRST}: columns ['preview', 'image_id', ") for p in problems)
    previews = table.column("preview").to_pylist()
    previews[1] = None
    holed = table.set_column(names.index("preview"), "preview", pa.array(previews, table.schema.field("preview").type))
    rewrite(copy / FIRST, holed, use_dictionary=["image_id"], use_byte_stream_split=["raw.list.element.list.element"])
    problems = check_package(copy).problems
    assert f"{copy / FIRST}: a row has no preview (the Hub viewer shows it blank)" in problems
    assert any(
        p.startswith(f"{copy / FIRST}: integer column raw.list.element.list.element is BYTE_STREAM_SPLIT")
        for p in problems
    )
