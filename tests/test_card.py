"""The generated dataset card: every Python snippet runs against the package, YAML valid for the Hub."""

import re
import subprocess
import sys

import numpy as np
import pytest
from huggingface_hub import DatasetCard
from PIL import Image

from _lens2logit.facts import CAMERA, INTENSITIES, MICROSCOPY_CLASSES, PROCESSED_VIEWS
from _lens2logit.package.card import DEFAULT_HUB_ID

SNIPPET = re.compile(r"```python\n(.*?)```", re.DOTALL)


def snippets(package) -> list[str]:
    """The usage snippets, which load with `datasets` (the engine snippets download: see test_hub)."""
    return [code for code in SNIPPET.findall((package / "README.md").read_text()) if "snapshot_download" not in code]


def test_card_has_the_usage_snippets(package):
    assert len(snippets(package)) == 4
    assert all(DEFAULT_HUB_ID in snippet for snippet in snippets(package))


def run_snippet(code: str, package, tmp_path) -> str:
    code = code.replace(f'"{DEFAULT_HUB_ID}"', repr(str(package)))
    # A subprocess with a timeout: a snippet that leaves a stream early must not hang the tests.
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={"HF_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1", "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("number", range(4))
def test_snippet_runs_against_the_package(package, tmp_path, number):
    assert run_snippet(snippets(package)[number], package, tmp_path).strip()


@pytest.mark.parametrize(("fixture", "config"), [("microscopy_package", "microscopy"), ("drone_package", "drone")])
def test_snippets_of_a_partial_package_load_only_its_configs(request, tmp_path, fixture, config):
    package = request.getfixturevalue(fixture)
    found = snippets(package)
    assert len(found) == 4
    loaded = {name for snippet in found for name in re.findall(rf'"{DEFAULT_HUB_ID}", "(\w+)"', snippet)}
    assert loaded == {config}
    printed = run_snippet("\n".join(found), package, tmp_path)
    assert printed.startswith("uint16 (256, 256) ")  # a raw tile, from the first snippet


def test_card_yaml_is_valid_and_carries_the_camera(package):
    card = DatasetCard.load(package / "README.md")
    assert card.data.license == "cc-by-4.0"
    assert card.data.camera == CAMERA
    for dataset, camera in CAMERA.items():
        assert ", ".join(map(str, camera["colour_matrix"])) in card.text, dataset


def test_figures_exist_decode_and_match_the_layout(package):
    cell, caption = 128, 16
    expected = {  # (columns, rows)
        "microscopy_classes.png": (len(MICROSCOPY_CLASSES), 1),
        "microscopy_intensities.png": (len(INTENSITIES), 1),
        "microscopy_views.png": (6, len(PROCESSED_VIEWS) // 6),
        "microscopy_pipelines.png": (len(PROCESSED_VIEWS), 3),  # intensities 1.00, 0.25, 0.05
        "drone_masks.png": (4, 2),  # 8 tiles of the sample shown, 4 a row
        "drone_classification.png": (4, 2),  # 4 car cells, then 4 no-car cells
    }
    assert sorted(path.name for path in (package / "assets").iterdir()) == sorted(expected)
    card = (package / "README.md").read_text()
    for name, (columns, rows) in expected.items():
        with Image.open(package / "assets" / name) as figure:
            figure.load()
            assert figure.size == (columns * cell, rows * (cell + caption)), name
        assert f"](assets/{name})" in card


def test_intensity_figure_darkens_with_intensity(package):
    figure = np.asarray(Image.open(package / "assets" / "microscopy_intensities.png").convert("L"))
    brightness = [figure[:128, i * 128 : (i + 1) * 128].mean() for i in range(len(INTENSITIES))]
    assert brightness == sorted(brightness)
