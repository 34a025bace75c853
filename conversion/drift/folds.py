"""The authors' 5 folds of the microscopy images, for reporting a mean +/- std over folds as they did."""

from dataclasses import dataclass

import datasets
import numpy as np
from sklearn.model_selection import StratifiedShuffleSplit

from ..errors import ArgumentTypeError, InvalidArgumentError
from ..facts import SPLIT_SEED, TRAIN_FRACTION

AUTHORS_FOLDS = 5
COLUMNS = ["image_id", "label", "label_order", "authors_excluded"]


@dataclass(frozen=True)
class Fold:
    """One fold: the image ids of its train and test parts, each in label-file order."""

    train: list[str]
    test: list[str]

    def splits(self, dataset: datasets.DatasetDict) -> datasets.DatasetDict:
        """The rows of the package's splits (all their intensities and views) regrouped into this fold's
        `train` and `test`."""
        every = datasets.concatenate_datasets([dataset[name] for name in sorted(dataset)])
        ids = every["image_id"]
        return datasets.DatasetDict(
            {
                part: every.select([i for i, image_id in enumerate(ids) if image_id in chosen])
                for part, chosen in (("train", set(self.train)), ("test", set(self.test)))
            }
        )


def folds(dataset: datasets.DatasetDict, n_splits: int = AUTHORS_FOLDS) -> list[Fold]:
    """The authors' folds exactly: the images they keep (not `authors_excluded`), in label-file order
    (`label_order`), split by `StratifiedShuffleSplit(n_splits=5, train_size=0.8, random_state=1)` on their
    label. The first fold is the package's own split.

    Args:
        dataset: the `microscopy` config, loaded with all its splits (`load_dataset(..., "microscopy")`).
        n_splits: how many folds (the authors used 5).

    Returns:
        The folds, each a `Fold` of image ids; `fold.splits(dataset)` gives its rows.

    Raises:
        InvalidArgumentError: a dataset without `label_order` (a package converted before data version 2.1:
            convert it again), or not the microscopy config.
    """
    if not isinstance(dataset, datasets.DatasetDict):
        raise ArgumentTypeError(f"folds takes the microscopy config with all its splits, got {type(dataset).__name__}")
    missing = [name for name in COLUMNS if name not in next(iter(dataset.values())).features]
    if missing:
        raise InvalidArgumentError(
            f"this dataset has no {', '.join(missing)} column: folds need the microscopy config of a package of "
            "data version 2.1 or later (label_order came in 2.1); convert the archive again"
        )
    images = {}
    for split in dataset.values():
        for row in split.select_columns(COLUMNS).to_list():
            images[row["image_id"]] = row
    kept = sorted((row for row in images.values() if not row["authors_excluded"]), key=lambda r: r["label_order"])
    ids, labels = [row["image_id"] for row in kept], [row["label"] for row in kept]
    splitter = StratifiedShuffleSplit(n_splits=n_splits, train_size=TRAIN_FRACTION, random_state=SPLIT_SEED)
    return [
        Fold([ids[i] for i in sorted(train)], [ids[i] for i in sorted(test)])
        for train, test in splitter.split(np.zeros(len(ids)), labels)
    ]
