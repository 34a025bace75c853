"""Each config is declared once, in the registry: a config added there alone reaches the builder, `convert`,
`check` and the card, and every entry describes exactly its features."""

import importlib
import json

import datasets
import pyarrow.parquet as pq
import pytest

import lens2logit
from _lens2logit.archive import drone
from _lens2logit.archive.frame_links import TILE_MASKS, TILES
from _lens2logit.archive.reader import Archive
from _lens2logit.facts import SPLITS
from _lens2logit.features import drone_features
from _lens2logit.package.archive_check import check_archive
from _lens2logit.package.check import check_package
from _lens2logit.package.configs import CONFIGS, ConfigSpec
from _lens2logit.package.convert import convert

TOY = ConfigSpec(
    name="toy",
    description="A toy config: the drone tiles once more.",
    folder=TILES,
    companion=TILE_MASKS,
    features=drone_features,
    index=drone.index_drone,
    columns={**CONFIGS["drone"].columns, "image_id": "the toy's own words for the tile id"},
    has_views=True,
)


@pytest.fixture
def toy_registered():
    """The registry with TOY added, and the builder made anew from it; both restored afterwards."""
    CONFIGS[TOY.name] = TOY
    importlib.reload(lens2logit)
    try:
        yield lens2logit
    finally:
        del CONFIGS[TOY.name]
        importlib.reload(lens2logit)


@pytest.mark.parametrize("view_dtype", ["uint8", "uint16"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_column_is_described_once_in_feature_order(name, view_dtype):
    spec = CONFIGS[name]
    described = [column for key in spec.columns for column in key.split(", ")]
    assert sorted(described) == sorted(spec.features(view_dtype))


def test_exactly_one_default_config():
    assert [name for name, spec in CONFIGS.items() if spec.default] == ["microscopy"]


def test_a_config_added_to_the_registry_alone_is_built_converted_checked_and_carded(
    toy_registered, drone_archive_dir, drone_package, tmp_path
):
    builder = toy_registered.Lens2Logit(
        config_name="toy", data_dir=str(drone_archive_dir), cache_dir=str(tmp_path / "built")
    )
    assert builder.config.description == TOY.description
    builder.download_and_prepare()
    built = builder.as_dataset()

    out = tmp_path / "package"
    report = convert(drone_archive_dir, out, progress=False)
    names = ["drone", "drone_full", "drone_classification", "toy"]
    assert list(report.infos) == names
    assert list(json.loads((out / "dataset_infos.json").read_text())) == sorted(names)
    for split in SPLITS:
        toy = pq.read_table(sorted((out / "toy" / split).glob("*.parquet")))
        ours = pq.read_table(sorted((drone_package / "drone" / split).glob("*.parquet")))
        assert toy.equals(ours)  # the same index, so the same rows
        assert built[split].num_rows == toy.num_rows
        assert built[split]["image_id"] == toy.column("image_id").to_pylist()
    assert check_package(out).problems == []
    loaded = datasets.load_dataset(str(out), "toy", split="test", cache_dir=str(tmp_path / "cache"))
    assert loaded.num_rows == report.infos["toy"].splits["test"].num_examples

    card = (out / "README.md").read_text()
    section = card[card.index("## Config `toy`") :].split("\n## ")[0]
    assert TOY.description in section
    assert "| `image_id` | the toy's own words for the tile id |" in section
    assert f"| test | {report.infos['toy'].splits['test'].num_examples:,} |" in section

    with Archive(drone_archive_dir) as archive:
        checked = check_archive(archive, [drone_archive_dir], progress=False)
    assert checked.rows["toy"] == checked.rows["drone"] == sum(built[split].num_rows for split in SPLITS)
    assert [views.config for views in checked.views] == ["drone", "toy"]
