"""`ProcessingModule`: one of the twelve pipelines as an `nn.Module` whose numbers can be learned."""

import torch
from torch import nn

from ..errors import ArgumentTypeError, InvalidArgumentError
from .recipe import RECIPE, Camera, Tuning, camera_of, check_unsharp, parse_pipeline
from .torch_pipeline import process_batch

LEARNABLE = ("black_level", "white_balance", "colour_matrix", "gamma", "sharpening", "denoising")


class ProcessingModule(nn.Module):
    """One of the authors' twelve pipelines (`process`'s torch port) with its numbers held as parameters, so the
    processing can be learned with the task, or searched for the camera change that breaks a model.

    At initialisation it computes what `process(raw, pipeline, camera, unsharp)` does on tensors. The numbers
    named in `learn` are `nn.Parameter`s, the others buffers (so `.to(device)` and `state_dict()` carry all).
    Positive numbers are learned through their logarithm, so they stay positive with their gradients intact:

    - `black_level`: 4 values (R, G, G, B), in normalised units.
    - `white_balance`: 3 gains (free: the microscopy camera's red gain is negative).
    - `colour_matrix`: (3, 3), applied as rgb @ M.T.
    - `gamma`: positive (`log_gamma`), 2.2 at first.
    - `sharpening`: `sharpening_filter`'s (3, 3) kernel; for `unsharp_masking` the tensor (amount, radius),
      the radius (the Gaussian's sigma) positive (`log_unsharp_radius`), the amount free.
    - `denoising`: `gaussian_denoising`'s sigma, positive (`log_gaussian_sigma`); for `median_denoising` the
      weight w of Y + w (median3x3(Y) - Y), free, 1 at first: a median has no strength to differentiate, and
      the weight is one that reproduces it exactly at 1 and reaches "no denoising" at 0.

    Each of these names is also an attribute giving the current value as a tensor.

    Args:
        pipeline: one of `PIPELINES`, `<demosaicing>-<sharpening>-<denoising>`.
        camera: a config name (`microscopy`, `drone...`) or a `Camera`: the starting camera numbers.
        learn: which of `LEARNABLE` to learn: `"black_level"`, `"white_balance"`, `"colour_matrix"`,
            `"gamma"`, `"sharpening"`, `"denoising"`, or `"all"`.
        unsharp: `"columns"` (the authors' scikit-image 0.18.1) or `"2d"`, as in `process`.

    Shape:
        - Input: (B, H, W) raw mosaics, integers from 0 to 65535 or floats normalised to [0, 1]; H and W even.
        - Output: (B, 3, H, W) RGB in [0, 1], float32 (float64 for float64 input).

    Examples:
        >>> import torch
        >>> from lens2logit import ProcessingModule, process
        >>> pipeline = "bilinear-sharpening_filter-gaussian_denoising"
        >>> module = ProcessingModule(pipeline, camera="microscopy", learn=("white_balance", "gamma"))
        >>> raw = torch.randint(2000, 30000, (2, 16, 16))
        >>> rgb = module(raw)
        >>> tuple(rgb.shape), bool(torch.allclose(rgb, process(raw, pipeline, camera="microscopy"), atol=1e-5))
        ((2, 3, 16, 16), True)
        >>> sorted(name for name, _ in module.named_parameters())
        ['log_gamma', 'white_balance']
        >>> rgb.mean().backward()
        >>> round(module.gamma.item(), 4), bool(module.log_gamma.grad > 0)
        (2.2, True)
    """

    def __init__(self, pipeline: str, camera: "str | Camera" = "microscopy", learn=(), unsharp: str = "columns"):
        super().__init__()
        self.steps, self.pipeline, self.unsharp = parse_pipeline(pipeline), pipeline, unsharp
        check_unsharp(unsharp)
        self.learned = _learned(learn)
        start = camera_of(camera)
        self._hold("black_level", "black_level", start.black_level)
        self._hold("white_balance", "white_balance", start.white_balance)
        self._hold("colour_matrix", "colour_matrix", torch.as_tensor(start.colour_matrix).reshape(3, 3))
        self._hold("gamma", "log_gamma", RECIPE.gamma, log=True)
        if self.steps.sharpening == "sharpening_filter":
            self._hold("sharpening", "sharpening_kernel", RECIPE.sharpening_kernel)
        else:
            self._hold("sharpening", "unsharp_amount", RECIPE.unsharp_amount)
            self._hold("sharpening", "log_unsharp_radius", RECIPE.unsharp_radius, log=True)
        if self.steps.denoising == "gaussian_denoising":
            self._hold("denoising", "log_gaussian_sigma", RECIPE.gaussian_sigma, log=True)
        else:
            self._hold("denoising", "median_weight", RECIPE.median_weight)

    def _hold(self, group: str, name: str, value, log: bool = False) -> None:
        """Register `value` (its log with `log`) as a float32 parameter if `group` is learned, else as a buffer."""
        tensor = torch.as_tensor(value, dtype=torch.float64)
        tensor = (tensor.log() if log else tensor).to(torch.float32)
        if group in self.learned:
            self.register_parameter(name, nn.Parameter(tensor))
        else:
            self.register_buffer(name, tensor)

    @property
    def gamma(self) -> torch.Tensor:
        return self.log_gamma.exp()

    @property
    def sharpening(self) -> torch.Tensor:
        """The (3, 3) kernel, or (amount, radius) for unsharp masking."""
        if self.steps.sharpening == "sharpening_filter":
            return self.sharpening_kernel
        return torch.stack([self.unsharp_amount, self.log_unsharp_radius.exp()])

    @property
    def denoising(self) -> torch.Tensor:
        """The Gaussian's sigma, or the median's weight."""
        if self.steps.denoising == "gaussian_denoising":
            return self.log_gaussian_sigma.exp()
        return self.median_weight

    def camera(self) -> Camera:
        """The current camera numbers, as tensors."""
        return Camera(self.black_level, self.white_balance, self.colour_matrix.reshape(9))

    def tuning(self) -> Tuning:
        """The current numbers of the pipeline's steps, as tensors (the recipe's own for the other steps)."""
        if self.steps.sharpening == "sharpening_filter":
            sharpening = {"sharpening_kernel": self.sharpening_kernel}
        else:
            amount, radius = self.sharpening
            sharpening = {"unsharp_amount": amount, "unsharp_radius": radius}
        if self.steps.denoising == "gaussian_denoising":
            denoising = {"gaussian_sigma": self.denoising}
        else:
            denoising = {"median_weight": self.median_weight}
        return Tuning(gamma=self.gamma, **sharpening, **denoising)

    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        return process_batch(raw, self.steps, self.camera(), self.unsharp, self.tuning())

    def values(self) -> dict[str, list]:
        """The current value of each of `LEARNABLE`, as nested lists of floats (for JSON and printing)."""
        return {name: getattr(self, name).detach().cpu().tolist() for name in LEARNABLE}

    def extra_repr(self) -> str:
        learned = ", ".join(self.learned) or "nothing"
        return f"{self.pipeline!r}, unsharp={self.unsharp!r}, learn: {learned}"


def _learned(learn) -> tuple[str, ...]:
    """The groups named in `learn`, in `LEARNABLE`'s order; `"all"` is every one."""
    try:
        names = {learn} if isinstance(learn, str) else set(learn)
    except TypeError:
        raise ArgumentTypeError(f"learn takes names of {LEARNABLE}, got {type(learn).__name__}") from None
    if "all" in names:
        names = (names - {"all"}) | set(LEARNABLE)
    unknown = sorted(map(str, names - set(LEARNABLE)))
    if unknown:
        raise InvalidArgumentError(f"cannot learn {', '.join(unknown)}: learn takes some of {', '.join(LEARNABLE)}")
    return tuple(name for name in LEARNABLE if name in names)
