"""Deterministic train/test splits."""

import numpy as np

from ..errors import ArchiveLayoutError
from ..facts import SPLIT_SEED, TRAIN_FRACTION


def authors_stratified_part(labels: dict[str, object], what: str) -> set[str]:
    """The 20 % part of the authors' StratifiedShuffleSplit(n_splits=1, train_size=0.8, random_state=1)
    over the keys of `labels`, in their order; `what` names them in the error."""
    keys = list(labels)
    from sklearn.model_selection import StratifiedShuffleSplit  # on first use: 0.75 s of `import lens2logit`

    splitter = StratifiedShuffleSplit(n_splits=1, train_size=TRAIN_FRACTION, random_state=SPLIT_SEED)
    try:
        _, part = next(splitter.split(np.zeros(len(keys)), [labels[key] for key in keys]))
    except ValueError as exc:
        raise ArchiveLayoutError(
            f"cannot split the {len(keys)} {what} stratified 80/20: {exc} "
            "(every class needs 2 of them, and the 20 % part at least one of each class)"
        ) from exc
    return {keys[i] for i in part}


def stratified_split(codes: dict[str, str], excluded: set[str]) -> dict[str, str]:
    """The authors' protocol, exactly: the images they keep (not in `excluded`), in label-file order
    (the order of `codes`), split by StratifiedShuffleSplit(n_splits=1, train_size=0.8,
    random_state=1); their 20 % part is `test`. The images they exclude go to `train`."""
    kept = {image_id: code for image_id, code in codes.items() if image_id not in excluded}
    test = authors_stratified_part(kept, "images the authors keep")
    return {image_id: "test" if image_id in test else "train" for image_id in codes}


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


def authors_tile_split(image_ids: list[str]) -> dict[str, str]:
    """The authors' random tile split (their segmentation runs): `np.random.seed(1)`, then
    `np.random.permutation(n)` over the tiles in sorted id order; the first `int(0.8 * n)` are
    `train`, the rest `validation`. Tiles of one frame land on both sides."""
    ordered = sorted(image_ids)
    permutation = np.random.RandomState(SPLIT_SEED).permutation(len(ordered))
    cut = int(len(ordered) * TRAIN_FRACTION)
    return {ordered[i]: "train" if position < cut else "validation" for position, i in enumerate(permutation)}
