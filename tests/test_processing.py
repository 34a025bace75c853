"""The twelve pipelines: the numpy reference against the recipe written out here, the torch port against
the reference, gradients, errors."""

import shutil

import numpy as np
import pytest
import tifffile
import torch
from PIL import Image
from recipe import CAMERA, gaussian_denoising, median3, recipe_bilinear, sharpening_filter, unsharp_2d, unsharp_columns

from _lens2logit.cli.main import main
from _lens2logit.errors import Lens2LogitError
from _lens2logit.processing.dispatch import process
from _lens2logit.processing.recipe import CAMERAS, PIPELINES, Camera
from _lens2logit.processing.torch_demosaicing import menon2007_classifier, menon2007_greens
from _lens2logit.processing.torch_ops import site_masks
from _lens2logit.processing.torch_pipeline import remove_black_level


@pytest.fixture(scope="module")
def hand_made_mosaic():
    """A 10 x 12 mosaic with an edge, a bright spot and a ramp: every filter has something to do."""
    rows, cols = np.mgrid[0:10, 0:12]
    mosaic = 8000 + 1500 * cols + 900 * (rows > 4) + 30000 * ((rows == 3) & (cols == 7))
    return mosaic.astype(np.uint16)


@pytest.mark.parametrize(
    ("pipeline", "unsharp", "sharpening", "denoising"),
    [
        ("bilinear-unsharp_masking-median_denoising", "columns", unsharp_columns, median3),
        ("bilinear-unsharp_masking-median_denoising", "2d", unsharp_2d, median3),
        ("bilinear-unsharp_masking-gaussian_denoising", "columns", unsharp_columns, gaussian_denoising),
        ("bilinear-sharpening_filter-gaussian_denoising", "columns", sharpening_filter, gaussian_denoising),
    ],
)
def test_reference_follows_the_recipe_step_by_step(hand_made_mosaic, pipeline, unsharp, sharpening, denoising):
    expected = recipe_bilinear(hand_made_mosaic.astype(float), sharpening, denoising)
    got = process(hand_made_mosaic, pipeline, CAMERA, unsharp=unsharp)
    assert got.shape == (10, 12, 3)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_unsharp_variants_differ_as_scikit_image_0_18_computed(hand_made_mosaic):
    """Per column: a Y plane that varies only along the rows is sharpened the same by both; the ramp across
    the columns is left alone by the per-column blur."""
    name = "bilinear-unsharp_masking-median_denoising"
    columns = process(hand_made_mosaic, name, CAMERA, unsharp="columns")
    plane = process(hand_made_mosaic, name, CAMERA, unsharp="2d")
    assert np.abs(columns - plane).max() > 0.01


def sample_mosaics(archive_dir):
    files = sorted(archive_dir.glob("microscopy/images/raw_scale100/*.tiff"))[:2]
    files += sorted(archive_dir.glob("drone/images_tiles_256/raw_scale100/*.tif"))[:2]
    return [(tifffile.imread(path)[:96, :128], "drone" if "drone" in str(path) else "microscopy") for path in files]


def random_mosaics():
    rng = np.random.default_rng(5)
    drone = (rng.integers(256, 4096, (48, 64)) * 16).astype(np.uint16)  # 12-bit, left-justified
    microscopy = rng.integers(0, 65536, (48, 64)).astype(np.uint16)
    return [(drone, "drone"), (microscopy, "microscopy")]


def near_menon_ties(mosaic, camera, relative):
    """Pixels near a Menon 2007 direction decided by |d_V - d_H| <= relative * (d_V + d_H): exact ties, common
    in 12-bit data, which the order of float additions breaks one way or the other."""
    cfa = remove_black_level(torch.from_numpy(mosaic / 65535)[None], CAMERAS[camera].black_level)
    masks = site_masks(cfa.shape, cfa.device)
    d_h, d_v = (d[0].numpy() for d in menon2007_classifier(cfa, masks, *menon2007_greens(cfa, masks)))
    near = np.zeros(mosaic.shape, bool)
    ties = (np.abs(d_v - d_h) <= relative * (d_v + d_h)) & (d_v + d_h > 0)  # 0 == 0 is exact in any precision
    for i, j in zip(*np.nonzero(ties), strict=True):
        near[max(0, i - 8) : i + 9, max(0, j - 8) : j + 9] = True
    return near


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_torch_matches_the_numpy_reference(archive_dir, pipeline):
    """float64: the same numbers (the port is exact, borders included); float32: within 1e-4 except where the
    linear value is below 5e-6 (gamma's slope) or near a Menon 2007 direction that rounding flips."""
    for mosaic, camera, realistic in [(*m, False) for m in random_mosaics()] + [
        (*m, True) for m in sample_mosaics(archive_dir)
    ]:
        for unsharp in ("columns", "2d") if "unsharp" in pipeline else ("columns",):
            reference = process(mosaic, pipeline, camera, unsharp)
            batch = torch.from_numpy(np.stack([mosaic, mosaic[::-1].copy()]).astype(np.int32))
            single = process(batch.to(torch.float64) / 65535, pipeline, camera, unsharp)
            assert single.shape == (2, 3, *mosaic.shape)
            exact = np.abs(single[0].permute(1, 2, 0).numpy() - reference).max(-1)
            if pipeline.startswith("menon2007"):
                exact[near_menon_ties(mosaic, camera, 1e-12)] = 0
            assert exact.max(initial=0) <= 1e-9, f"{camera} {pipeline} {unsharp}"
            fast = process(batch, pipeline, camera, unsharp)
            assert fast.dtype == torch.float32
            difference = np.abs(fast[0].permute(1, 2, 0).numpy() - reference).max(-1)
            excluded = (reference**2.2).min(-1) < 5e-6
            if pipeline.startswith("menon2007"):
                excluded |= near_menon_ties(mosaic, camera, 1e-5)
            if realistic:  # white noise clips and ties often; 7 % of a sample tile
                assert excluded.mean() < 0.15, f"{camera} {pipeline}: {excluded.mean():.1%} of pixels excluded"
            assert difference[~excluded].max(initial=0) <= 1e-4, f"{camera} {pipeline} {unsharp}"


def test_one_mosaic_and_uint16_tensors():
    mosaic, camera = random_mosaics()[0]
    reference = process(mosaic, PIPELINES[0], camera)
    out = process(torch.from_numpy(mosaic), PIPELINES[0], camera)
    assert out.shape == (3, *mosaic.shape)
    np.testing.assert_allclose(out.permute(1, 2, 0).numpy(), reference, atol=1e-4)


def test_gradients_reach_the_mosaic_and_the_white_balance():
    mosaic, _ = random_mosaics()[0]
    x = torch.from_numpy(mosaic.astype(np.float64) / 65535)[None].requires_grad_()
    gains = torch.tensor(CAMERAS["drone"].white_balance, dtype=torch.float64, requires_grad=True)
    camera = Camera(CAMERAS["drone"].black_level, gains, CAMERAS["drone"].colour_matrix)
    for pipeline in PIPELINES:
        x.grad = gains.grad = None
        process(x, pipeline, camera).mean().backward()
        for grad in (x.grad, gains.grad):
            assert torch.isfinite(grad).all(), pipeline
            assert grad.abs().sum() > 0, pipeline
    # The gradient is the derivative: central differences on the blue gain agree.
    name = "menon2007-unsharp_masking-median_denoising"
    gains.grad = None
    process(x.detach(), name, camera).mean().backward()
    step = 1e-6
    plus, minus = gains.detach().clone(), gains.detach().clone()
    plus[2] += step
    minus[2] -= step
    numeric = [
        process(x.detach(), name, Camera(camera.black_level, g, camera.colour_matrix)).mean() for g in (plus, minus)
    ]
    assert gains.grad[2].item() == pytest.approx(((numeric[0] - numeric[1]) / (2 * step)).item(), rel=1e-4)


def test_bad_input_is_named():
    with pytest.raises(Lens2LogitError, match="unknown pipeline 'bilinear'"):
        process(np.zeros((4, 4), np.uint16), "bilinear")
    with pytest.raises(Lens2LogitError, match=r"even, non-zero sides.*\(5, 4\)"):
        process(np.zeros((5, 4), np.uint16), PIPELINES[0])
    with pytest.raises(Lens2LogitError, match="unknown camera 'phone'"):
        process(np.zeros((4, 4), np.uint16), PIPELINES[0], "phone")
    with pytest.raises(Lens2LogitError, match="unsharp must be one of"):
        process(np.zeros((4, 4), np.uint16), PIPELINES[0], unsharp="3d")
    with pytest.raises(Lens2LogitError, match=r"\(B, H, W\).*\(1, 1, 4, 4\)"):
        process(torch.zeros((1, 1, 4, 4)), PIPELINES[0])


def test_check_compares_stored_views_with_the_pipelines(archive_dir, tmp_path, capsys):
    """The sample's views are the pipelines' output rounded to 8 bits; `check` reports views replaced by the
    2-D unsharp masking's output as far from the default variant and within rounding of the 2-D one."""
    archive = shutil.copytree(archive_dir / "microscopy", tmp_path / "archive" / "microscopy")
    name = "bilinear-unsharp_masking-median_denoising"
    far = 0.0
    for raw_path in sorted((archive / "images" / "raw_scale100").glob("*.tiff")):
        view_path = archive / "images" / "processed_views" / name.replace("-", "_") / f"{raw_path.stem}.png"
        raw = tifffile.imread(raw_path)
        columns = process(raw, name, "microscopy")
        np.testing.assert_array_equal(np.asarray(Image.open(view_path)), np.rint(columns * 255).astype(np.uint8))
        plane = np.rint(process(raw, name, "microscopy", unsharp="2d") * 255).astype(np.uint8)
        Image.fromarray(plane).save(view_path)
        far = max(far, np.abs(plane / 255 - columns).max())
    assert main(["check", str(tmp_path / "archive"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "48 images" in out
    lines = dict(line.strip().split(": ", 1) for line in out.splitlines() if line.startswith("  "))
    assert len(lines) == len(PIPELINES)
    assert lines[name] == f"{far:.2e} (2-D unsharp masking: 1.96e-03), within rounding"
    assert lines["bilinear-unsharp_masking-gaussian_denoising"].startswith("1.96e-03 (2-D unsharp masking: ")
    assert lines["menon2007-sharpening_filter-median_denoising"] == "1.96e-03, within rounding"
