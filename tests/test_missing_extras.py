"""Without an optional package, the first use that needs it says which extra to install: torch (`pixels(...,
"torch")`, `loader`, `ProcessingModule`, the drift stage and its command), matplotlib (the plots) and
torchmetrics (the search). Each case runs in a fresh interpreter where that package cannot be imported."""

import subprocess
import sys

import pytest

SPLIT = """
import datasets, numpy as np
features = datasets.Features({"image_id": datasets.Value("string"), "label": datasets.ClassLabel(names=["a", "b"]),
                              "intensity": datasets.Value("float64"), "raw": datasets.Array2D((16, 16), "uint16")})
split = datasets.Dataset.from_dict({"image_id": ["x", "y", "z", "w"], "label": [0, 1, 0, 1], "intensity": [1.0] * 4,
                                    "raw": [np.full((16, 16), v, np.uint16) for v in (100, 9000, 200, 8000)]},
                                   features=features)
"""
TORCH = 'pip install "lens2logit[torch]"'


# A finder ahead of all others that answers for the blocked packages with a module that cannot be created: their
# import fails as a missing package's does, and they never enter sys.modules.
GUARD = """
import importlib.abc, importlib.machinery, sys
class NotInstalled(importlib.abc.Loader):
    def create_module(self, spec):
        raise ModuleNotFoundError(f"No module named {spec.name!r}", name=spec.name)
    def exec_module(self, module):
        pass
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            return importlib.machinery.ModuleSpec(name, NotInstalled())
sys.meta_path.insert(0, Block())
"""


def run_without(blocked: list[str], code: str, split: str = SPLIT) -> subprocess.CompletedProcess:
    """Run `code` where importing any of `blocked` fails as if it were not installed."""
    program = f"BLOCKED = {blocked!r}\n" + GUARD + split + code
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)


def printed_without(blocked: list[str], code: str) -> str:
    result = run_without(blocked, code)
    assert result.returncode == 0, result.stderr
    return result.stdout


def raised(call: str) -> str:
    """Code that prints the type and message of what `call` raises."""
    return f"try:\n    {call}\nexcept ImportError as error:\n    print(type(error).__name__, error)\n"


@pytest.mark.parametrize(
    ("call", "use"),
    [
        ('pixels(split, "torch")', 'pixels(..., "torch")'),
        ("loader(pixels(split), batch_size=2)", "loader"),
        ("lens2logit.drift", "lens2logit.drift"),
        ("lens2logit.ProcessingModule", "lens2logit.ProcessingModule"),
    ],
)
def test_without_torch_the_first_use_names_the_extra(call, use):
    printed = printed_without(["torch"], "import lens2logit\nfrom lens2logit import loader, pixels\n" + raised(call))
    assert printed == f"MissingExtraError {use}: torch is not installed; {TORCH}\n"


def test_without_torch_numpy_reading_and_processing_still_work():
    code = (
        "from lens2logit import pixels, process\n"
        "rgb = process(np.asarray(split[0]['raw'], np.uint16), 'menon2007-unsharp_masking-median_denoising')\n"
        "print(rgb.shape, next(iter(pixels(split).iter(2)))['raw'].shape, 'torch' in sys.modules)\n"
    )
    assert printed_without(["torch"], code) == "(16, 16, 3) (2, 16, 16) False\n"


def test_without_torch_the_drift_command_is_one_line(tmp_path):
    code = (
        "from _lens2logit.cli.main import main\n"
        f"print(main(['drift', {str(tmp_path)!r}, '--model', 'm:build', '--out', {str(tmp_path / 'out')!r}]))\n"
    )
    result = run_without(["torch"], code, split="")
    assert result.stdout == "1\n"
    assert result.stderr.strip().endswith(f"lens2logit drift: torch is not installed; {TORCH}")
    assert "Traceback" not in result.stderr


def test_without_matplotlib_or_torchmetrics_the_plots_and_the_search_name_their_extra():
    code = (
        "import torch\nfrom lens2logit import drift\n"
        "model = lambda rgb: torch.stack([0.5 - rgb.mean((1, 2, 3)), rgb.mean((1, 2, 3)) - 0.5], 1)\n"
        "pipelines = ['bilinear-sharpening_filter-gaussian_denoising']\n"
        "report = drift.evaluate(model, split, intensities=[1.0], pipelines=pipelines, progress=False, resamples=10)\n"
        + raised("report.heatmap()")
        + raised("drift.search(model, split, steps=1, progress=False, resamples=10)")
    )
    printed = printed_without(["matplotlib", "torchmetrics"], code).splitlines()
    assert printed == [
        'MissingExtraError the drift plots: matplotlib is not installed; pip install "lens2logit[plots]"',
        f"MissingExtraError drift.search (its SSIM): torchmetrics is not installed; {TORCH}",
    ]
