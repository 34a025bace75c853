"""The package's croissant.json: mlcroissant validates it with no errors or warnings, its records equal the rows
`load_dataset` gives, and `check` names a croissant.json that does not describe the package."""

import io
import json
import pickle
import subprocess
import sys

import numpy as np
import pytest
from datasets import load_dataset
from PIL import Image
from test_cli_errors import run_main

from _lens2logit.package.hub_id import DEFAULT_HUB_ID

CONFIGS = ("microscopy", "drone", "drone_full", "drone_classification")

# In a process of its own: mlcroissant cannot read the shards in a process that has imported `datasets`.
READ = """
import logging, pickle, sys, itertools
import numpy as np
import mlcroissant as mlc

package, out, *configs = sys.argv[1:]
logged = []
handler = logging.Handler()
handler.emit = lambda record: logged.append(record.getMessage())
logging.getLogger().addHandler(handler)
dataset = mlc.Dataset(jsonld=f"{package}/croissant.json", mapping={"repo": package})
issues = {"errors": sorted(dataset.metadata.issues.errors), "warnings": sorted(dataset.metadata.issues.warnings)}
records = {}
for name in configs:
    records[name] = [
        {key.split("/")[1]: np.asarray(value) if hasattr(value, "mode") else value for key, value in record.items()}
        for record in itertools.islice(dataset.records(record_set=name), 2)
    ]
with open(out, "wb") as file:
    pickle.dump({"issues": issues, "logged": logged, "records": records}, file)
"""


def _read(package, folder) -> None:
    folder.mkdir(parents=True)
    result = subprocess.run(
        [sys.executable, "-c", READ, str(package), str(folder / "read.pickle"), *CONFIGS],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="session")
def read(package, made_once):
    """What mlcroissant makes of the sample package, read once for all workers."""
    return pickle.loads((made_once("croissant", lambda out: _read(package, out)) / "read.pickle").read_bytes())


def test_mlcroissant_validates_it_with_no_errors_or_warnings(read):
    assert read["issues"] == {"errors": [], "warnings": []}
    assert [line for line in read["logged"] if "WARNING" in line or "croissant" in line.lower()] == []


def _pixels(value) -> np.ndarray:
    """An image column's pixels, from `load_dataset` (a PIL image) or a binary PNG."""
    return np.asarray(Image.open(io.BytesIO(value)) if isinstance(value, bytes) else value)


@pytest.mark.parametrize("config", CONFIGS)
def test_records_equal_the_rows_load_dataset_gives(read, package, config, tmp_path):
    records = read["records"][config]
    assert len(records) == 2
    dataset = load_dataset(str(package), config, cache_dir=str(tmp_path / "cache"))
    for record in records:
        split = record.pop("split").decode()
        rows = dataset[split].filter(
            lambda row, r=record: row["image_id"] == r["image_id"].decode() and row["intensity"] == r["intensity"]
        )
        row = rows[0] if config == "drone_full" or rows.num_rows == 1 else None
        if row is None:  # a tile at full intensity: its raw row, the first of its rows
            row = rows.filter(lambda row: row["view"] == 0)[0]
        assert sorted(record) == sorted(row)
        for column, value in record.items():
            expected = row[column]
            if column == "raw" and config != "drone_full":
                np.testing.assert_array_equal(np.asarray(value, dtype=np.uint16), np.asarray(expected, np.uint16))
            elif isinstance(value, np.ndarray) or column == "raw":
                np.testing.assert_array_equal(_pixels(value), _pixels(expected))
            elif isinstance(value, bytes):
                assert value.decode() == expected, column
            else:
                assert value == expected or (value is None and expected is None), column


def test_it_lists_every_column_with_raw_typed_and_class_names(package):
    document = json.loads((package / "croissant.json").read_text())
    assert document["url"] == f"https://huggingface.co/datasets/{DEFAULT_HUB_ID}"
    record_sets = {record_set["@id"]: record_set for record_set in document["recordSet"]}
    infos = json.loads((package / "dataset_infos.json").read_text())
    for config, info in infos.items():
        fields = {field["name"]: field for field in record_sets[config]["field"]}
        assert list(fields) == [f"{config}/split", *(f"{config}/{column}" for column in info["features"])]
        raw = fields[f"{config}/raw"]
        if config == "drone_full":
            assert (raw["dataType"], raw["encodingFormat"]) == ("sc:ImageObject", "image/png")
        else:
            assert (raw["dataType"], raw["isArray"], raw["arrayShape"]) == ("cr:UInt16", True, "256,256")
        for column, feature in info["features"].items():
            if feature["_type"] == "ClassLabel":
                names = record_sets[f"{config}_{column}_names"]["data"]
                assert [row[f"{config}_{column}_names/value"] for row in names] == feature["names"]
                assert [row[f"{config}_{column}_names/key"] for row in names] == list(range(len(feature["names"])))
        splits = record_sets[f"{config}_splits"]["data"]
        assert [row[f"{config}_splits/key"] for row in splits] == list(info["splits"])


def test_check_names_a_croissant_that_does_not_describe_the_package(drone_package, tmp_path, capsys):
    package = tmp_path / "package"
    subprocess.run(["cp", "-al", str(drone_package), str(package)], check=True)
    path = package / "croissant.json"
    document = json.loads(path.read_text())
    document["recordSet"][-1]["field"][-1]["dataType"] = "sc:Text"
    path.unlink()  # a new file: the copy's files are links to the session package's
    path.write_text(json.dumps(document))
    result = run_main(capsys, "check", str(package))
    assert result.returncode == 1
    assert f"{path}: recordSet differ from the package's configs and features; convert the archive again" in (
        result.stdout + result.stderr
    )
    path.unlink()
    result = run_main(capsys, "check", str(package))
    assert result.returncode == 1
    assert f"{path}: not readable as JSON" in result.stdout + result.stderr


def test_the_card_says_where_the_complete_croissant_is(package):
    card = " ".join((package / "README.md").read_text().split())
    assert (
        "This repository's `croissant.json` (Croissant 1.1) describes every column, with `raw` as `cr:UInt16`" in card
    )
    assert "the Croissant the Hub generates for this dataset leaves `raw` out and gives class ids without names" in card
