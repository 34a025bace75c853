"""`drone_classification`: the authors' car / no-car cells, checked against the recipe written out
here independently (`reference/authors-code.md`), and bit-exact against the full frames."""

import csv
import random
import subprocess
import sys
from pathlib import Path

import datasets
import numpy as np
import pytest
from conftest import SEED, write_files
from helpers import decode_png, source_frame
from PIL import Image
from sklearn.model_selection import StratifiedShuffleSplit

from _lens2logit.archive.drone_classification import choose_cells, index_drone_classification
from _lens2logit.archive.reader import Archive
from _lens2logit.cli.main import main
from _lens2logit.errors import ArchiveLayoutError
from _lens2logit.facts import INTENSITIES
from _lens2logit.naming import intensity_folder
from _lens2logit.sample.drone import drone_files
from lens2logit import Lens2Logit, pixels

FRAMES = "drone/images_full"
COLUMNS = ["image_id", "label", "frame_id", "frame", "grid_row", "grid_col", "car_fraction", "authors_split"]


def authors_rule(means: list[float]) -> tuple[list[int], list[int]]:
    """The recipe for one frame: (kept car cells, kept no-car cells), by cell number in grid order."""
    with_car = [i for i, m in enumerate(means) if m > 0.01]
    without = [i for i, m in enumerate(means) if m == 0]
    random.seed(72)
    if len(with_car) <= len(without):
        random.shuffle(without)
        dropped = without[: len(without) - len(with_car)]
    else:
        random.shuffle(with_car)
        dropped = with_car[: len(with_car) - len(without)]
    return sorted(set(with_car) - set(dropped)), sorted(set(without) - set(dropped))


def cell_means(mask: np.ndarray) -> list[float]:
    """Means of the 0/1 float32 mask over the 256 grid, row by row, remainder dropped (their split_img)."""
    ones = (mask > 0).astype(np.float32)
    return [
        float(ones[top : top + 256, left : left + 256].mean())
        for top in range(0, mask.shape[0] - 255, 256)
        for left in range(0, mask.shape[1] - 255, 256)
    ]


def expected_set(archive: Path) -> dict[str, dict]:
    """id -> label, frame and cell, from the masks of the frames in the sorted listing of raw_scale100."""
    listing = sorted(path.name for path in (archive / FRAMES / "raw_scale100").iterdir())
    expected = {}
    for n, name in enumerate(listing):
        stem = Path(name).stem
        mask = np.asarray(Image.open(archive / "drone/masks_full" / f"{stem}.png"))
        cars, empty = authors_rule(cell_means(mask))
        columns = mask.shape[1] // 256
        for i, (cell, label) in enumerate([(c, 0) for c in cars] + [(c, 1) for c in empty]):
            expected[f"{n:02d}_{i:05d}"] = {
                "label": label,
                "frame_id": n,
                "frame": stem,
                "grid_row": cell // columns,
                "grid_col": cell % columns,
            }
    return expected


def authors_validation(labels: dict[str, int]) -> set[str]:
    ids = list(labels)
    splitter = StratifiedShuffleSplit(n_splits=1, train_size=0.8, random_state=1)
    _, validation = next(splitter.split(ids, [labels[i] for i in ids]))
    return {ids[i] for i in validation}


def drone_test_frames(package: Path, cache: str) -> set[str]:
    test = datasets.load_dataset(str(package), "drone", split="test", cache_dir=cache)
    return set(test["frame"])


@pytest.fixture(scope="module")
def loaded(package, tmp_path_factory):
    return datasets.load_dataset(str(package), "drone_classification", cache_dir=str(tmp_path_factory.mktemp("c")))


@pytest.fixture(scope="module")
def built(archive_dir, tmp_path_factory):
    cache = str(tmp_path_factory.mktemp("cache"))
    builder = Lens2Logit(config_name="drone_classification", data_dir=str(archive_dir), cache_dir=cache)
    builder.download_and_prepare()
    return builder.as_dataset()


def rows_by_id(dataset: datasets.DatasetDict) -> dict[str, dict]:
    """id -> the columns of its full-intensity row, with its split; every id has one row per intensity."""
    found = {}
    for split, part in dataset.items():
        table = part.select_columns([*COLUMNS, "intensity"]).to_dict()
        for i, image_id in enumerate(table["image_id"]):
            if table["intensity"][i] == 1.0:
                found[image_id] = {name: table[name][i] for name in COLUMNS} | {"split": split}
        assert sorted(table["intensity"]) == sorted(
            intensity for intensity in INTENSITIES for _ in range(len(set(table["image_id"])))
        )
    return found


def test_the_sample_exercises_both_branches_of_the_rule(archive_dir):
    """Frames with more car than empty cells and the reverse, both classes in several frames, and cells
    with a car's end (0 < mean <= 0.01) that the rule drops."""
    counts = []
    for path in sorted((archive_dir / "drone/masks_full").iterdir()):
        means = cell_means(np.asarray(Image.open(path)))
        counts.append((sum(m > 0.01 for m in means), sum(m == 0 for m in means), sum(0 < m <= 0.01 for m in means)))
    assert any(cars > empty > 0 for cars, empty, _ in counts)
    assert any(0 < cars < empty for cars, empty, _ in counts)
    assert all(dropped for _, _, dropped in counts)


@pytest.mark.parametrize("source", ["built", "loaded"])
def test_cells_ids_and_labels_follow_the_recipe(source, request, archive_dir, package, tmp_path):
    dataset = request.getfixturevalue(source)
    rows = rows_by_id(dataset)
    expected = expected_set(archive_dir)
    assert len(expected) >= 10
    assert {i: {k: row[k] for k in expected[i]} for i, row in rows.items()} == expected
    labels = {image_id: row["label"] for image_id, row in sorted(rows.items())}
    validation = authors_validation(labels)
    assert {i for i, row in rows.items() if row["authors_split"] == "validation"} == validation
    assert {row["frame"] for row in rows.values() if row["split"] == "test"} == drone_test_frames(
        package, str(tmp_path)
    )
    assert dataset["train"].features["label"].names == ["car", "no_car"]


@pytest.mark.parametrize("source", ["built", "loaded"])
def test_raw_and_masks_are_the_frames_cells_bit_exact(source, request, archive_dir):
    dataset = request.getfixturevalue(source)
    for split in ("train", "test"):
        rows = pixels(dataset[split], columns=["frame", "grid_row", "grid_col", "intensity", "mask", "car_fraction"])
        frames = {}
        for row in rows:
            key = (row["frame"], row["intensity"])
            if key not in frames:
                frames[key] = source_frame(archive_dir, *key)
            top, left = row["grid_row"] * 256, row["grid_col"] * 256
            assert row["raw"].dtype == np.uint16
            np.testing.assert_array_equal(row["raw"], frames[key][top : top + 256, left : left + 256])
            frame_mask = np.asarray(Image.open(archive_dir / "drone/masks_full" / f"{row['frame']}.png")) != 0
            cell_mask = frame_mask[top : top + 256, left : left + 256]
            np.testing.assert_array_equal(np.asarray(row["mask"]), cell_mask)
            assert row["car_fraction"] == pytest.approx(cell_mask.mean())


STREAM = """
import sys
import numpy as np
from datasets import load_dataset
from lens2logit import pixels

stream = load_dataset(sys.argv[1], "drone_classification", split="test", streaming=True)
for row in pixels(stream, columns=["image_id", "frame", "grid_row", "grid_col", "intensity"]):
    np.save(sys.argv[2] + "/" + f"{row['image_id']}-{row['intensity']}-{row['frame']}-{row['grid_row']}-"
            f"{row['grid_col']}.npy", row["raw"])
"""


def test_streaming_is_bit_exact(package, loaded, archive_dir, tmp_path):
    """All test rows streamed, in a subprocess (pyarrow can hang at exit after streaming)."""
    subprocess.run([sys.executable, "-c", STREAM, str(package), str(tmp_path)], check=True, timeout=300)
    saved = sorted(tmp_path.glob("*.npy"))
    test = loaded["test"]
    assert sorted(p.stem.split("-")[0] for p in saved) == sorted(test["image_id"])
    assert len(saved) == len(INTENSITIES) * len(set(test["image_id"]))
    for path in saved:
        image_id, intensity, frame, grid_row, grid_col = path.stem.split("-")
        top, left = int(grid_row) * 256, int(grid_col) * 256
        mosaic = np.load(path)
        assert mosaic.dtype == np.uint16
        frame_pixels = source_frame(archive_dir, frame, float(intensity))
        np.testing.assert_array_equal(mosaic, frame_pixels[top : top + 256, left : left + 256])


def test_the_rule_on_car_fractions():
    """Exactly 0.01 is dropped (only above 0.01 is a car); ties keep every cell."""
    cases = [
        [0.01, 0.02, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.005],  # no car cell: nothing kept
        [0.5, 0.02, 0.3, 0.011],  # no empty cell: nothing kept
        [0.2, 0.0, 0.3, 0.0, 0.001],  # N == M
        [0.2, 0.0, 0.3, 0.4, 0.9, 0.6, 0.0, 0.05],  # N > M: the car list is shuffled
        [0.0] * 9 + [0.2, 0.3],  # N < M: the no-car list is shuffled
    ]
    for means in cases:
        cars, empty = authors_rule(means)
        assert choose_cells(means) == [(c, 0) for c in cars] + [(c, 1) for c in empty]
    assert [cell for cell, label in choose_cells(cases[0]) if label == 0] == [1]  # 0.01 itself is dropped
    assert choose_cells(cases[1]) == choose_cells(cases[2]) == []
    assert choose_cells(cases[3]) == [(0, 0), (2, 0), (1, 1), (3, 1)]


def cells_mask(shape: tuple[int, int], pixels_per_cell: list[int]) -> np.ndarray:
    """A 0/255 mask with the given number of car pixels in each grid cell (row by row, filled from the
    top left) and cars in the remainder below and right of the grid, which the rule never sees."""
    mask = np.zeros(shape, np.uint8)
    columns = shape[1] // 256
    for cell, count in enumerate(pixels_per_cell):
        top, left = (cell // columns) * 256, (cell % columns) * 256
        flat = mask[top : top + 256, left : left + 256].reshape(-1)  # a copy: write it back
        flat[:count] = 255
        mask[top : top + 256, left : left + 256] = flat.reshape(256, 256)
    mask[512:, :] = 255
    mask[:, 768:] = 255
    return mask


def test_edge_cases_on_masks(tmp_path):
    """Four frames of 2 x 3 cells (and a remainder full of cars): no car cell; no empty cell; N == M
    with cells of 655 and 656 car pixels (0.00999 and 0.01001 of a cell, the nearest to 0.01); N > M."""
    archive = write_files(tmp_path / "archive", drone_files(4, SEED, "uint8"))
    full = 256 * 256
    masks = [
        [0, 0, 300, 0, 0, 0],
        [656, full // 2, 655, full, 1310, 10],
        [656, 655, 0, 0, full // 10, 100],
        [full // 3, full // 5, full // 10, 3000, 0, 700],
    ]
    for number, cells in enumerate(masks, start=1):
        path = archive / "drone/masks_full" / f"DJI_{number:04d}.png"
        shape = np.asarray(Image.open(path)).shape
        Image.fromarray(cells_mask(shape, cells)).save(path)
    with Archive(archive) as opened:
        index = index_drone_classification(opened)
    expected = expected_set(archive)
    assert {i: (c.label, c.frame, *c.position) for i, c in index.cells.items()} == {
        i: (row["label"], row["frame"], row["grid_row"], row["grid_col"]) for i, row in expected.items()
    }
    assert [i for i in index.cells if i.startswith("02_")] == ["02_00000", "02_00001", "02_00002", "02_00003"]
    assert [(c.position, c.label) for c in index.cells.values() if c.frame_id == 2] == [
        ((0, 0), 0),
        ((1, 1), 0),
        ((0, 2), 1),
        ((1, 0), 1),
    ]
    assert not any(c.frame_id in (0, 1) for c in index.cells.values())
    assert sum(c.frame_id == 3 for c in index.cells.values()) == 2


def test_a_frame_missing_at_one_intensity_is_reported(tmp_path):
    archive = write_files(tmp_path / "archive", drone_files(3, SEED, "uint8"))
    (archive / FRAMES / intensity_folder(0.5) / "DJI_0002.dng").unlink()
    with Archive(archive) as opened, pytest.raises(ArchiveLayoutError, match=r"raw_scale050: 1 image\(s\) of"):
        index_drone_classification(opened)
    with Archive(archive) as opened:
        index = index_drone_classification(opened, allow_missing=True)
    assert any("raw_scale050: 1 image(s) of raw_scale100 missing: DJI_0002" in p for p in index.skipped)
    half = next(c for c in index.conditions if c.intensity == 0.5)
    full = next(c for c in index.conditions if c.intensity == 1.0)
    for split in ("train", "test"):
        assert [c.image_id for c in index.chosen(split, half)] == [
            c.image_id for c in index.chosen(split, full) if c.frame != "DJI_0002"
        ]
    assert any(c.frame == "DJI_0002" for c in index.cells.values())


def write_authors_files(archive: Path, expected: dict[str, dict]) -> Path:
    """The authors' CSV as pandas' `to_csv` writes it, and their tile folders (empty files will do: only
    the names are compared)."""
    folder = archive / "drone/classification"
    folder.mkdir()
    with (folder / "dataset_tiles_256_72_0.01.csv").open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["", "file name", "label"])
        for n, (image_id, row) in enumerate(expected.items()):
            writer.writerow([n, image_id, row["label"]])
    for relative in ("images_tiles_256/raw_scale100_thr_0.01", "masks_tiles_256_thr_0.01"):
        (folder / relative).mkdir(parents=True)
        for image_id in expected:
            (folder / relative / f"{image_id}.{'tif' if 'images' in relative else 'png'}").touch()
    return folder


def test_the_authors_files_are_compared(tmp_path, capsys):
    archive = write_files(tmp_path / "archive", drone_files(2, SEED, "uint8"))
    expected = expected_set(archive)
    folder = write_authors_files(archive, expected)
    assert main(["check", str(archive), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert f"dataset_tiles_256_72_0.01.csv: {len(expected)} tiles listed, 0 difference(s) in ids and labels" in out
    assert f"masks_tiles_256_thr_0.01/: {len(expected)} tiles, {len(expected)} of them picked by the rule" in out
    assert "not checked" not in out

    lines = (folder / "dataset_tiles_256_72_0.01.csv").read_text().splitlines()
    first, second = lines[1].split(","), lines[2].split(",")
    lines[1] = ",".join([first[0], first[1], str(1 - int(first[2]))])
    lines[2] = ",".join([second[0], "09_00042", second[2]])
    (folder / "dataset_tiles_256_72_0.01.csv").write_text("\n".join(lines) + "\n")
    (folder / "masks_tiles_256_thr_0.01" / "09_00043.png").touch()
    assert main(["check", str(archive), "--no-progress"]) == 1
    err = capsys.readouterr().err
    csv_file = folder / "dataset_tiles_256_72_0.01.csv"
    assert f"{csv_file}:2: tile {first[1]} has label {1 - int(first[2])}; the rule gives {first[2]}" in err
    assert f"{csv_file}:3: tile 09_00042 is not one the rule picks" in err
    assert f"{csv_file}: 1 tile(s) the rule picks are not listed: {second[1]}" in err
    assert "masks_tiles_256_thr_0.01/: 1 tile(s) the rule does not pick: 09_00043" in err
    out = tmp_path / "package"
    assert main(["convert", str(archive), str(out), "--no-progress"]) == 0
    printed = capsys.readouterr()
    assert "differs from the authors' classification files" in printed.err
    card = (out / "README.md").read_text()
    assert f"- {csv_file}: {len(expected)} tiles listed, 3 difference(s) in ids and labels" in card
    assert f"- {csv_file}:3: tile 09_00042 is not one the rule picks" in card


def test_card_counts_and_figure(package, archive_dir):
    card = (package / "README.md").read_text()
    expected = expected_set(archive_dir)
    section = card.split("## Config `drone_classification`")[1].split("\n## ")[0]
    total = len(expected) * len(INTENSITIES)
    rows = [line for line in section.splitlines() if line.startswith(("| train |", "| test |"))]
    car = sum(int(line.split("|")[3]) for line in rows)
    no_car = sum(int(line.split("|")[4]) for line in rows)
    labels = [row["label"] for row in expected.values()]
    assert (car, no_car) == (labels.count(0), labels.count(1))
    assert sum(int(line.split("|")[5].replace(",", "")) for line in rows) == total
    assert "random.seed(72)" in section
    figure = decode_png((package / "assets" / "drone_classification.png").read_bytes())
    assert figure.shape == (2 * (128 + 16), 4 * 128, 3)
