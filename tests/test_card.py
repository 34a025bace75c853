"""The generated dataset card: every Python snippet runs against the package, YAML valid for the Hub."""

import re
import subprocess
import sys

import pytest
from huggingface_hub import DatasetCard

from conversion.card import DEFAULT_HUB_ID
from conversion.constants import CAMERA

SNIPPET = re.compile(r"```python\n(.*?)```", re.DOTALL)


def snippets(package) -> list[str]:
    return SNIPPET.findall((package / "README.md").read_text())


def test_card_has_the_usage_snippets(package):
    assert len(snippets(package)) == 4
    assert all(DEFAULT_HUB_ID in snippet for snippet in snippets(package))


@pytest.mark.parametrize("number", range(4))
def test_snippet_runs_against_the_package(package, tmp_path, number):
    code = snippets(package)[number].replace(f'"{DEFAULT_HUB_ID}"', repr(str(package)))
    # A subprocess with a timeout: a snippet that leaves a stream early must not hang the tests.
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={"HF_DATASETS_CACHE": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1", "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_card_yaml_is_valid_and_carries_the_camera(package):
    card = DatasetCard.load(package / "README.md")
    assert card.data.license == "cc-by-4.0"
    assert card.data.camera == CAMERA
    for dataset, camera in CAMERA.items():
        assert ", ".join(map(str, camera["colour_matrix"])) in card.text, dataset
