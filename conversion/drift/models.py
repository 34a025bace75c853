"""The models `lens2logit drift --model` names: `MODULE:CALLABLE` (a module or a .py file) or a TorchScript file."""

import importlib
import importlib.util
import sys
from pathlib import Path

from ..errors import InvalidArgumentError


def load_models(spec: str):
    """A TorchScript file's model, or what `CALLABLE()` of `MODULE:CALLABLE` returns: a model or a dict of
    models by name (as `uvicorn module:app` names an app). MODULE is a dotted module name or a .py file."""
    if spec.endswith((".pt", ".pth")) and ":" not in spec:
        return _torchscript(Path(spec))
    module_name, _, attribute = spec.rpartition(":")
    if not module_name or not attribute:
        raise InvalidArgumentError(
            f"--model {spec!r}: give MODULE:CALLABLE (e.g. my_models:build or models.py:build) or a TorchScript .pt"
        )
    module = _module(module_name, spec)
    factory = getattr(module, attribute, None)
    if not callable(factory):
        raise InvalidArgumentError(f"--model {spec!r}: {module_name} has no callable {attribute!r}")
    try:
        return factory()
    except Exception as error:
        raise InvalidArgumentError(f"--model {spec!r}: {attribute}() raised {type(error).__name__}: {error}") from error


def _module(name: str, spec: str):
    try:
        if name.endswith(".py"):
            path = Path(name)
            if not path.is_file():
                raise FileNotFoundError(name)
            loader = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(loader)
            sys.modules.setdefault(path.stem, module)
            loader.loader.exec_module(module)
            return module
        if str(Path.cwd()) not in sys.path:  # as `uvicorn` does: modules of the working folder first
            sys.path.insert(0, str(Path.cwd()))
        return importlib.import_module(name)
    except Exception as error:
        raise InvalidArgumentError(
            f"--model {spec!r}: cannot import {name} ({type(error).__name__}: {error}); run from the folder that "
            "holds it, or put it on PYTHONPATH"
        ) from error


def _torchscript(path: Path):
    import torch

    try:
        return torch.jit.load(str(path), map_location="cpu")
    except Exception as error:
        raise InvalidArgumentError(f"--model {path}: not a TorchScript file torch.jit.load reads ({error})") from error
