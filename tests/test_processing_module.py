"""ProcessingModule: the torch port at initialisation, gradients to what is learned and none to the rest, the
recovery of known numbers from images processed by the written-out recipe, state_dict, training behind it."""

import functools

import numpy as np
import pytest
import torch
from recipe import gaussian_denoising, median3, recipe_bilinear, sharpening_filter, unsharp_columns
from torch import nn

from _lens2logit.errors import ArgumentTypeError, InvalidArgumentError
from _lens2logit.processing.dispatch import process
from _lens2logit.processing.recipe import CAMERAS, PIPELINES, Camera
from _lens2logit.processing.torch_module import LEARNABLE, ProcessingModule

FILTER_GAUSSIAN = "bilinear-sharpening_filter-gaussian_denoising"
UNSHARP_MEDIAN = "bilinear-unsharp_masking-median_denoising"
DRONE = CAMERAS["drone"]


@pytest.fixture(scope="module")
def mosaics():
    """3 dim 24 x 24 mosaics of noise (about 1 % to 8 % of full scale): every filter has detail to act on,
    and nothing clips at 1, where a gradient would vanish."""
    return np.random.default_rng(7).integers(650, 5200, (3, 24, 24)).astype(np.uint16)


@pytest.mark.parametrize("unsharp", ["columns", "2d"])
@pytest.mark.parametrize("camera", ["microscopy", "drone"])
def test_initial_output_is_the_torch_port(camera, unsharp):
    raw = torch.from_numpy(np.random.default_rng(1).integers(0, 65536, (2, 24, 24)).astype(np.int32))
    for pipeline in PIPELINES:
        module = ProcessingModule(pipeline, camera=camera, learn="all", unsharp=unsharp)
        got, expected = module(raw), process(raw, pipeline, camera=camera, unsharp=unsharp)
        assert got.dtype == torch.float32
        difference = (got - expected).abs()
        assert difference.max() < 5e-5, pipeline  # float32 rounding, raised by gamma's slope near 0
        assert difference.mean() < 1e-6, pipeline


def test_learned_numbers_get_gradients_and_the_others_none():
    raw = torch.from_numpy(np.random.default_rng(2).integers(650, 20000, (2, 16, 16)).astype(np.int32))
    weights = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    for pipeline in (FILTER_GAUSSIAN, UNSHARP_MEDIAN):
        module = ProcessingModule(pipeline, camera="drone", learn="all")
        (module(raw) * weights).sum().backward()
        for name, parameter in module.named_parameters():
            assert torch.isfinite(parameter.grad).all(), (pipeline, name)
            assert (parameter.grad != 0).all(), (pipeline, name)
        assert not list(module.buffers())

    module = ProcessingModule(FILTER_GAUSSIAN, camera="drone", learn=["gamma"])
    assert [name for name, _ in module.named_parameters()] == ["log_gamma"]
    frozen = {name: buffer.clone() for name, buffer in module.named_buffers()}
    assert set(frozen) == {"black_level", "white_balance", "colour_matrix", "sharpening_kernel", "log_gaussian_sigma"}
    optimiser = torch.optim.SGD(module.parameters(), lr=0.5)
    (module(raw) * weights).sum().backward()
    optimiser.step()
    assert module.gamma.item() != pytest.approx(2.2)
    for name, buffer in module.named_buffers():
        assert not buffer.requires_grad
        assert torch.equal(buffer, frozen[name]), name


def _targets(mosaics, sharpening, denoising, camera=DRONE, gamma=2.2) -> torch.Tensor:
    images = [recipe_bilinear(m.astype(float), sharpening, denoising, camera, gamma) for m in mosaics]
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float()


def _fit(module: ProcessingModule, mosaics, targets, steps: int, lr: float) -> None:
    raw = torch.from_numpy(mosaics.astype(np.int32))
    optimiser = torch.optim.Adam(module.parameters(), lr=lr)
    for _ in range(steps):
        optimiser.zero_grad()
        ((module(raw) - targets) ** 2).mean().backward()
        optimiser.step()


WHITE_BALANCE = np.array(DRONE.white_balance) * [1.15, 1.0, 0.85]
STRONGER_KERNEL = [[0, -2, 0], [-2, 9, -2], [0, -2, 0]]
RECOVERIES = {  # learned: pipeline, target's steps (functions of Y), its camera and gamma, the value, tolerance
    "white_balance": (FILTER_GAUSSIAN, sharpening_filter, gaussian_denoising, {}, WHITE_BALANCE, 1e-4),
    "gamma": (FILTER_GAUSSIAN, sharpening_filter, gaussian_denoising, {"gamma": 2.0}, 2.0, 1e-4),
    "sharpening": (
        FILTER_GAUSSIAN,
        functools.partial(sharpening_filter, kernel=STRONGER_KERNEL),
        gaussian_denoising,
        {},
        STRONGER_KERNEL,
        0.05,
    ),
    "denoising": (
        FILTER_GAUSSIAN,
        sharpening_filter,
        functools.partial(gaussian_denoising, sigma=0.8),
        {},
        0.8,
        1e-4,
    ),
}


@pytest.mark.parametrize("learned", list(RECOVERIES))
def test_known_numbers_are_recovered_from_the_written_recipe(mosaics, learned):
    pipeline, sharpening, denoising, target, value, tolerance = RECOVERIES[learned]
    camera = Camera(DRONE.black_level, tuple(WHITE_BALANCE), DRONE.colour_matrix)
    targets = _targets(mosaics, sharpening, denoising, camera if learned == "white_balance" else DRONE, **target)
    module = ProcessingModule(pipeline, camera="drone", learn=learned)
    _fit(
        module,
        mosaics,
        targets,
        steps=400 if learned == "sharpening" else 300,
        lr=0.05 if learned == "sharpening" else 0.02,
    )
    found = getattr(module, learned).detach().numpy()
    assert np.abs(found - np.asarray(value)).max() < tolerance, found


def test_unsharp_masking_and_the_median_weight_are_recovered(mosaics):
    targets = _targets(
        mosaics, functools.partial(unsharp_columns, amount=2.0, radius=1.5), functools.partial(median3, weight=0.5)
    )
    module = ProcessingModule(UNSHARP_MEDIAN, camera="drone", learn=("sharpening", "denoising"))
    _fit(module, mosaics, targets, steps=300, lr=0.02)
    amount, radius = module.sharpening.detach().tolist()
    assert amount == pytest.approx(2.0, abs=1e-4)
    assert radius == pytest.approx(1.5, abs=1e-4)
    assert module.denoising.item() == pytest.approx(0.5, abs=1e-4)


def test_state_dict_round_trips(mosaics):
    module = ProcessingModule(UNSHARP_MEDIAN, camera="microscopy", learn="all")
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.add_(0.05)
    copy = ProcessingModule(UNSHARP_MEDIAN, camera="microscopy", learn="all")
    copy.load_state_dict(module.state_dict())
    raw = torch.from_numpy(mosaics.astype(np.int32))
    assert torch.equal(copy(raw), module(raw))
    assert copy.values() == module.values()
    assert set(module.values()) == set(LEARNABLE)


def test_trains_end_to_end_behind_a_task_model(mosaics):
    """A linear read-out of the mean colour behind the module: the loss falls and both parts move."""
    torch.manual_seed(0)
    raw = torch.from_numpy(mosaics.astype(np.int32))
    labels = torch.tensor([0, 1, 0])
    processing = ProcessingModule(FILTER_GAUSSIAN, camera="drone", learn=("white_balance", "gamma"))
    head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 2))
    model = nn.Sequential(processing, head)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(30):
        optimiser.zero_grad()
        loss = nn.functional.cross_entropy(model(raw), labels)
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert processing.gamma.item() != pytest.approx(2.2)
    assert processing.white_balance.tolist() != pytest.approx(list(DRONE.white_balance))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU on this machine")
def test_runs_on_a_gpu(mosaics):
    module = ProcessingModule(FILTER_GAUSSIAN, camera="drone", learn="all").cuda()
    raw = torch.from_numpy(mosaics.astype(np.int32))
    assert torch.allclose(module(raw.cuda()).cpu(), ProcessingModule(FILTER_GAUSSIAN, "drone")(raw), atol=5e-5)


def test_bad_arguments_are_named():
    with pytest.raises(InvalidArgumentError, match="cannot learn hue, saturation: learn takes some of black_level"):
        ProcessingModule(FILTER_GAUSSIAN, learn=("gamma", "hue", "saturation"))
    with pytest.raises(ArgumentTypeError, match="learn takes names"):
        ProcessingModule(FILTER_GAUSSIAN, learn=3)
    with pytest.raises(InvalidArgumentError, match="unknown pipeline 'bilinear'"):
        ProcessingModule("bilinear")
    with pytest.raises(InvalidArgumentError, match="unsharp must be one of"):
        ProcessingModule(UNSHARP_MEDIAN, unsharp="3d")
    with pytest.raises(InvalidArgumentError, match=r"\(B, H, W\) with even, non-zero H and W"):
        ProcessingModule(FILTER_GAUSSIAN)(torch.zeros(2, 3, 5, 5, dtype=torch.int32))
