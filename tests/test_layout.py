"""The source tree by stage: imports run one way (checked by lint-imports), small modules, an own import name."""

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "conversion"
LINT_IMPORTS = Path(sysconfig.get_path("scripts")) / "lint-imports"


def lint_imports(source: Path) -> subprocess.CompletedProcess:
    """lint-imports with the project's contracts, on the package `_lens2logit` found first in `source`'s parent."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=source.parent,
        env={"PYTHONPATH": str(source.parent), "PATH": ""},
        timeout=300,
    )


def test_the_stages_import_one_way():
    result = lint_imports(ROOT / "_lens2logit-is-conversion")  # no such folder: the installed package is checked
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import"),
    [
        ("archive/labels.py", "from ..package import configs"),  # a lower stage importing a higher one
        ("archive/labels.py", "from ..sample import writer"),  # two stages of one layer importing each other
        ("facts.py", "from .processing import recipe"),  # the root importing a stage
    ],
)
def test_a_wrong_way_import_breaks_the_layering(tmp_path, module, bad_import):
    copy = tmp_path / "_lens2logit"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / module
    path.write_text(path.read_text() + f"\n{bad_import}  # noqa\n")
    result = lint_imports(copy)
    assert result.returncode == 1, result.stdout
    assert "BROKEN" in result.stdout


def test_modules_are_small_and_the_root_holds_few():
    lengths = {path.relative_to(SOURCE).as_posix(): len(path.read_text().splitlines()) for path in SOURCE.rglob("*.py")}
    assert {path: lines for path, lines in lengths.items() if lines > 300} == {}
    assert len(list(SOURCE.glob("*.py"))) <= 8


def test_the_wheel_installs_the_source_as_lens2logit_and_no_conversion(tmp_path):
    """`conversion/` is installed as `_lens2logit`, whole: every module and card template, and nothing else."""
    tree = tmp_path / "tree"
    for name in ("conversion", "lens2logit.py", "pyproject.toml", "README.md"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy2
        copy(
            ROOT / name,
            tree / name,
            **({"ignore": shutil.ignore_patterns("__pycache__")} if name == "conversion" else {}),
        )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "dist"), str(tree)],
        check=True,
        timeout=600,
    )
    (wheel,) = (tmp_path / "dist").glob("lens2logit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"_lens2logit", "lens2logit.py", next(top for top in tops if top.endswith(".dist-info"))}
    sources = {
        f"_lens2logit/{path.relative_to(SOURCE).as_posix()}"
        for path in SOURCE.rglob("*")
        if path.suffix in (".py", ".md")
    }
    assert sources <= set(names)
    assert "_lens2logit/package/templates/card.md" in names
