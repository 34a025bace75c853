"""`loader` with workers: each worker hands its batches over in shared buffers it reuses, and never writes
into a buffer while a tensor on it lives in the main process."""

import datasets
import numpy as np
import pytest
from helpers import source_raw

from _lens2logit.reading import handover
from lens2logit import loader, pixels


@pytest.fixture(scope="module")
def rows(package, tmp_path_factory):
    dataset = datasets.load_dataset(
        str(package), "microscopy", split="test", cache_dir=str(tmp_path_factory.mktemp("c"))
    )
    return pixels(dataset, "torch", columns=["image_id", "intensity"])


def expected(rows) -> list[tuple[str, float]]:
    return sorted(zip(rows[:]["image_id"], rows[:]["intensity"].tolist(), strict=True))


def test_tensors_kept_by_the_main_process_are_never_overwritten(rows, archive_dir):
    kept = [  # views of every batch's raw tensor, kept after the batch is dropped: more than a worker's buffers
        (batch["raw"][1:], batch["image_id"][1:], batch["intensity"][1:].tolist())
        for batch in loader(rows, batch_size=2, shuffle=True, num_workers=2)
    ]
    assert 2 * len(kept) > 2 * handover.BUFFERS_PER_WORKER  # 2 tensors a batch (raw, intensity) on 2 workers
    seen = []
    for tiles, image_ids, intensities in kept:  # read after the workers have read every other batch
        for tile, image_id, intensity in zip(tiles, image_ids, intensities, strict=True):
            np.testing.assert_array_equal(tile.numpy(), source_raw(archive_dir, image_id, intensity))
            seen.append((image_id, intensity))
    assert len(seen) == len(rows) - len(kept)


def test_workers_reuse_their_buffers_epoch_after_epoch(rows, archive_dir):
    before = set(handover._received)
    batches = loader(rows, batch_size=2, num_workers=2, persistent_workers=True)
    for number, _ in enumerate(batches):  # an epoch left after two batches: the batches in flight are dropped
        if number == 1:
            break
    for _ in range(2):
        seen = []
        for batch in batches:
            for tile, image_id, intensity in zip(batch["raw"], batch["image_id"], batch["intensity"], strict=True):
                np.testing.assert_array_equal(tile.numpy(), source_raw(archive_dir, image_id, float(intensity)))
                seen.append((image_id, float(intensity)))
        assert sorted(seen) == expected(rows)
    del _, batch, tile, intensity  # the last batches, and views of one
    pools = [handover._received[token] for token in set(handover._received) - before]
    assert len(pools) == 2  # one a worker
    lent = [len(pool["buffers"]) for pool in pools]
    assert max(lent) <= 8 < len(rows) // 2  # 2 tensors a batch (raw, intensity), a few batches in flight
    assert all(pool["free"].all() for pool in pools)  # every batch dropped: every buffer free again
