"""Property tests: the parsers and `process`, on arbitrary input, end in a result or in one of our errors."""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from _lens2logit.archive.frame_links import tile_frame
from _lens2logit.archive.labels import parse_labels
from _lens2logit.archive.microscopy import slide_zone
from _lens2logit.errors import ArchiveLayoutError, LabelFileError, Lens2LogitError
from _lens2logit.facts import INTENSITIES, PROCESSED_VIEWS
from _lens2logit.naming import canonical_view, parse_intensity_folder
from lens2logit import PIPELINES, process

# The same examples every run (CI stays reproducible), and no example database written into the project.
FEW = settings(
    max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
NAMES = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"raw_scale\d{1,4}", fullmatch=True),
    st.from_regex(r"\d{1,3}_\d{1,6}", fullmatch=True),
    st.from_regex(r"[a-z0-9]{2,9}[-_ ][a-z_]{3,18}[-_ ][a-z_]{3,18}", fullmatch=True),
    st.from_regex(r"\w*lame\d{1,3}_zone\d{1,3}\w*", fullmatch=True),
)


@FEW
@given(st.lists(st.text(max_size=300), min_size=1, max_size=3))
def test_label_files_parse_or_name_the_line(texts):
    files = [(text, f"labels/{i}.dat") for i, text in enumerate(texts)]
    try:
        labels = parse_labels(files)
    except LabelFileError as error:
        labels, failure = None, str(error)
    if labels is None:
        assert failure.startswith("labels/")  # the file, and its line where there is one
        return
    lines = [line.split() for text in texts for line in text.splitlines() if line.split()]
    assert [(name, label.code) for name, label in labels.items()] == [tuple(fields) for fields in lines]


@FEW
@given(NAMES)
def test_names_parse_or_raise_a_layout_error(name):
    for parse in (parse_intensity_folder, canonical_view, tile_frame, slide_zone):
        try:
            value, failure = parse(name, "somewhere"), ""
        except ArchiveLayoutError as error:
            value, failure = None, str(error)
        if value is None:
            assert failure.startswith("somewhere: ")
        elif parse is parse_intensity_folder:
            assert value in INTENSITIES
        elif parse is canonical_view:
            assert value in PROCESSED_VIEWS


def _dtypes():
    return st.one_of(hnp.scalar_dtypes(), st.sampled_from([np.dtype(np.uint16), np.dtype(np.float32)]))


def _arrays():
    shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)
    return st.one_of(
        hnp.arrays(_dtypes(), shapes),
        hnp.arrays(np.uint16, st.sampled_from([(2, 2), (4, 4), (4, 6)])),  # valid mosaics, any values
        hnp.arrays(np.float64, (4, 4), elements=st.floats(0, 1)),  # valid normalised mosaics
    )


@FEW
@given(_arrays(), st.sampled_from(PIPELINES))
def test_process_gives_rgb_in_range_or_our_error(raw, pipeline):
    try:
        rgb = process(raw, pipeline)
    except Lens2LogitError:
        return
    assert rgb.shape == (*raw.shape, 3)
    assert rgb.dtype == np.float64
    assert np.all((rgb >= 0) & (rgb <= 1))


@FEW
@given(_arrays(), st.sampled_from(PIPELINES))
def test_process_batch_gives_rgb_in_range_or_our_error(raw, pipeline):
    try:
        batch = torch.from_numpy(raw)
    except (TypeError, ValueError):  # a dtype or byte order torch has no tensor of
        return
    try:
        rgb = process(batch, pipeline)
    except Lens2LogitError:
        return
    assert tuple(rgb.shape) == ((3, *raw.shape) if raw.ndim == 2 else (raw.shape[0], 3, *raw.shape[1:]))
    assert bool(torch.all((rgb >= 0) & (rgb <= 1)))


@pytest.mark.parametrize(
    ("raw", "error", "message"),
    [
        (np.full((4, 4), 40000, np.float32), ValueError, "divide uint16 values by 65535"),
        (np.full((4, 4), np.nan), ValueError, "float64 mosaic holds NaN or infinity"),
        (np.full((4, 4), np.inf, np.float32), ValueError, "float32 mosaic holds NaN or infinity"),
        (np.full((4, 4), -0.5), ValueError, r"values from -0\.5 to -0\.5, but float mosaics"),
        (np.ones((4, 4), bool), TypeError, "got dtype bool"),
        (np.full((4, 4), 70000, np.int64), ValueError, "int64 mosaic holds values from 70000 to 70000, outside uint16"),
        (np.full((4, 4), -1, np.int32), ValueError, "outside uint16's 0 to 65535"),
        (np.zeros((0, 0), np.uint16), ValueError, r"with even, non-zero .*0, 0\)"),
    ],
)
def test_process_refuses_what_it_would_compute_wrong(raw, error, message):
    for given_raw in (raw, torch.from_numpy(raw)):
        with pytest.raises(error, match=message) as raised:
            process(given_raw, PIPELINES[0])
        assert isinstance(raised.value, Lens2LogitError)


def test_an_empty_batch_gives_an_empty_result():
    for dtype in (torch.int32, torch.float64):
        rgb = process(torch.zeros((0, 8, 6), dtype=dtype), PIPELINES[-1])
        assert rgb.shape == (0, 3, 8, 6)
        assert rgb.dtype == (torch.float32 if dtype == torch.int32 else torch.float64)
