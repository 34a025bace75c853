"""The values and tables each config's card section shows (the prose is in `templates/`), from its info and index."""

from collections import Counter

import datasets
import numpy as np

from ..facts import DRONE_CLASSES, SPLITS


def table(header: list[str], rows: list[list]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def view_storage(view_dtype: str) -> str:
    return "8-bit PNG images" if view_dtype == "uint8" else "uint16 arrays 256x256x3"


def intensities_present(index) -> str:
    return ", ".join(f"{condition.intensity:.2f}" for condition in index.conditions)


def counts_only(info: datasets.DatasetInfo, index) -> dict:
    """Rows per split: what every config's section can show."""
    return {"counts": table(["split", "rows"], [[s, f"{info.splits[s].num_examples:,}"] for s in SPLITS])}


def microscopy_facts(info: datasets.DatasetInfo, index) -> dict:
    per_split = {split: Counter(index.images[i].annotation for i in index.image_ids(split)) for split in SPLITS}
    codes = sorted({image.annotation for image in index.images.values()}, key=lambda c: (index.label_id(c) < 0, c))
    excluded = sorted(i for i, image in index.images.items() if image.authors_excluded)
    return {
        "counts": table(
            ["split", "images", "rows"],
            [[s, len(index.image_ids(s)), f"{info.splits[s].num_examples:,}"] for s in SPLITS],
        ),
        "labels": table(
            ["annotation", "label", *SPLITS],
            [[code, index.label_id(code), *(per_split[s][code] for s in SPLITS)] for code in codes],
        ),
        "view_storage": view_storage(index.view_dtype),
        "limitations": [
            f"The authors left {len(excluded)} image(s) out of training ({', '.join(excluded) or 'none'}): one they "
            "judged invalid, and any whose code is not one of their classes (`label == -1`). They are kept here "
            "and flagged in `authors_excluded`; filter them out to reproduce the paper."
        ],
    }


def _spread(values: list[float]) -> str:
    return f"{min(values):.3f} / {np.mean(values):.3f} / {max(values):.3f}" if values else "-"


def drone_facts(info: datasets.DatasetInfo, index) -> dict:
    rows = [
        [
            s,
            len(index.frames(s)),
            len(ids := index.image_ids(s)),
            f"{info.splits[s].num_examples:,}",
            _spread([index.tiles[i].car_fraction for i in ids]),
        ]
        for s in SPLITS
    ]
    authors = Counter(tile.authors_split for tile in index.tiles.values())
    return {
        "counts": table(["split", "frames", "tiles", "rows", "car fraction min / mean / max"], rows),
        "view_storage": view_storage(index.view_dtype),
        "test_frames": ", ".join(map(str, index.frames("test"))),
        "numbering": index.numbering,
        "authors_split": ", ".join(f"{authors[name]} {name}" for name in ("train", "validation")),
        "limitations": [
            "The drone split is by frame, unlike the authors' random split of tiles (seed 1), which puts tiles of "
            "the same frame on both sides; results are not directly comparable. Their split is in `authors_split`."
        ],
    }


def drone_full_facts(info: datasets.DatasetInfo, index) -> dict:
    rows = [
        [s, len({f.frame_id for f in index.frames.values() if f.split == s}), info.splits[s].num_examples]
        for s in SPLITS
    ]
    return {"counts": table(["split", "frames", "rows"], rows), "intensities_present": intensities_present(index)}


def drone_classification_facts(info: datasets.DatasetInfo, index) -> dict:
    def count(split: str, label: int) -> int:
        return sum(c.split == split and c.label == label for c in index.cells.values())

    rows = [
        [
            s,
            len({c.frame for c in index.cells.values() if c.split == s}),
            *(count(s, label) for label in range(len(DRONE_CLASSES))),
            f"{info.splits[s].num_examples:,}",
        ]
        for s in SPLITS
    ]
    authors = Counter(c.authors_split for c in index.cells.values())
    return {
        "counts": table(["split", "frames", *DRONE_CLASSES, "rows"], rows),
        "intensities_present": intensities_present(index),
        "test_frames": ", ".join(sorted({c.frame for c in index.cells.values() if c.split == "test"})),
        "authors_split": authors,
        "compared": index.authors.compared,
        "differences": index.authors.differences,
    }
