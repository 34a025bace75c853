"""What the published Zenodo archive must give: features and example counts per config and split.

The top-level `dataset_infos.json` of this repository is written from here (`lens2logit infos`),
and a conversion is compared against it. Drone tiles per frame are not published, so the drone
configs carry their features (and `drone` and `drone_classification` a total), not counts per split.
"""

import datasets

from conversion.constants import (
    DRONE_CLASSIFICATION_TILES,
    DRONE_TILES,
    INTENSITIES,
    MICROSCOPY_CLASS_COUNTS,
    PROCESSED_VIEWS,
    SPLITS,
)
from conversion.features import (
    drone_classification_features,
    drone_features,
    drone_full_features,
    microscopy_features,
)
from conversion.splits import stratified_split

CONDITIONS_PER_IMAGE = len(PROCESSED_VIEWS) + len(INTENSITIES)
PUBLISHED_TOTALS = {  # rows over both splits
    "drone": DRONE_TILES * CONDITIONS_PER_IMAGE,
    "drone_classification": DRONE_CLASSIFICATION_TILES * len(INTENSITIES),
}


def published_split_images() -> dict[str, int]:
    """Images per split of the published microscopy data under the split rule."""
    labels = {f"{code}{i:04d}": code for code, count in MICROSCOPY_CLASS_COUNTS.items() for i in range(count)}
    # The invalid file is one of them; which class it has does not change the split's sizes.
    splits = list(stratified_split(labels, excluded={next(iter(labels))}).values())
    return {split: splits.count(split) for split in SPLITS}


def published_infos() -> dict[str, datasets.DatasetInfo]:
    rows = {split: images * CONDITIONS_PER_IMAGE for split, images in published_split_images().items()}
    splits = datasets.SplitDict(dataset_name="lens2logit")
    for split, count in rows.items():
        splits.add(datasets.SplitInfo(name=split, num_examples=count, dataset_name="lens2logit"))
    return {
        "microscopy": datasets.DatasetInfo(features=microscopy_features(), splits=splits, config_name="microscopy"),
        "drone": datasets.DatasetInfo(features=drone_features(), config_name="drone"),
        "drone_full": datasets.DatasetInfo(features=drone_full_features(), config_name="drone_full"),
        "drone_classification": datasets.DatasetInfo(
            features=drone_classification_features(), config_name="drone_classification"
        ),
    }


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
        if config in PUBLISHED_TOTALS and _total(actual) != PUBLISHED_TOTALS[config]:
            found.append(f"{config}: {_total(actual):,} rows, published {PUBLISHED_TOTALS[config]:,}")
    return found
