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


def frame_split(tiles_per_frame: dict[int, int]) -> dict[int, str]:
    """Split by frame: frames in a seeded random order, the test split being the prefix of that order
    whose tile count is closest to 20 % of all tiles (at least one frame on each side)."""
    frames = sorted(tiles_per_frame)
    if len(frames) < 2:
        raise ArchiveLayoutError(f"a split by frame needs tiles of at least two frames, found frames {frames}")
    order = [frames[i] for i in np.random.default_rng(SPLIT_SEED).permutation(len(frames))]
    target = (1 - TRAIN_FRACTION) * sum(tiles_per_frame.values())
    test_tiles = np.cumsum([tiles_per_frame[frame] for frame in order[:-1]])
    test = set(order[: 1 + int(np.argmin(np.abs(test_tiles - target)))])
    return {frame: "test" if frame in test else "train" for frame in frames}
