"""Deterministic train/test splits."""

import numpy as np
from sklearn.model_selection import StratifiedShuffleSplit

from conversion.constants import SPLIT_SEED, TRAIN_FRACTION
from conversion.errors import ArchiveLayoutError


def stratified_split(labels: dict[str, str]) -> dict[str, str]:
    """The authors' protocol: images sorted by id, StratifiedShuffleSplit(train_size=0.8, random_state=1)."""
    image_ids = sorted(labels)
    classes = [labels[image_id] for image_id in image_ids]
    splitter = StratifiedShuffleSplit(n_splits=1, train_size=TRAIN_FRACTION, random_state=SPLIT_SEED)
    try:
        train, test = next(splitter.split(np.zeros(len(image_ids)), classes))
    except ValueError as exc:
        raise ArchiveLayoutError(
            f"cannot split {len(image_ids)} labelled images stratified 80/20: {exc} "
            "(every class needs 2 images, and the test part at least one image per class)"
        ) from exc
    split = {image_ids[i]: "train" for i in train}
    split.update({image_ids[i]: "test" for i in test})
    return split
