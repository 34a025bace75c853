"""What the published Zenodo archive must give: features and example counts per config and split.

The top-level `dataset_infos.json` of this repository is written from here (`lens2logit infos`),
and a conversion is compared against it. Drone tiles per frame are not published, so the drone
configs carry their features (and `drone` and `drone_classification` a total), not counts per split.
"""

import datasets

from .configs import CONFIGS, Published


def _info(name: str, published: Published) -> datasets.DatasetInfo:
    splits = None
    if published.rows_per_split is not None:
        splits = datasets.SplitDict(dataset_name="lens2logit")
        for split, count in published.rows_per_split().items():
            splits.add(datasets.SplitInfo(name=split, num_examples=count, dataset_name="lens2logit"))
    return datasets.DatasetInfo(features=CONFIGS[name].features("uint8"), splits=splits, config_name=name)


def published_infos() -> dict[str, datasets.DatasetInfo]:
    """The infos of the configs the archive publishes, with the counts it gives."""
    return {name: _info(name, spec.published) for name, spec in CONFIGS.items() if spec.published is not None}


def _total(info: datasets.DatasetInfo) -> int:
    return sum(split.num_examples for split in info.splits.values())


def differences(infos: dict[str, datasets.DatasetInfo]) -> list[str]:
    """How converted infos differ from the published data: configs, features and example counts."""
    found = []
    for config, expected in published_infos().items():
        actual = infos.get(config)
        if actual is None:
            found.append(f"{config}: not converted (its folder is not in the archive)")
            continue
        if actual.features != expected.features:
            found.append(f"{config}: features differ from the published ones")
        for split, split_info in (expected.splits or {}).items():
            count = actual.splits[split].num_examples if split in actual.splits else 0
            if count != split_info.num_examples:
                found.append(f"{config}/{split}: {count:,} rows, published {split_info.num_examples:,}")
        total = CONFIGS[config].published.total_rows
        if total is not None and _total(actual) != total:
            found.append(f"{config}: {_total(actual):,} rows, published {total:,}")
    return found
