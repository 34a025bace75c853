"""Session fixtures: synthetic archives (folder, zip, 16-bit views) and their converted packages."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # tests never reach the network
os.environ["HF_DATASETS_OFFLINE"] = "1"

import pytest  # noqa: E402

from conversion.convert import convert  # noqa: E402
from conversion.sample import write_sample  # noqa: E402

SEED = 7


@pytest.fixture(scope="session")
def archive_dir(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("archive") / "lens2logit", seed=SEED)


@pytest.fixture(scope="session")
def archive_zip_dir(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("archive_zip") / "download", seed=SEED, as_zip=True)


@pytest.fixture(scope="session")
def package(tmp_path_factory, archive_dir):
    out = tmp_path_factory.mktemp("package") / "lens2logit"
    convert(archive_dir, out, progress=False)
    return out


@pytest.fixture(scope="session")
def archive16_dir(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("archive16") / "lens2logit", seed=SEED, view_dtype="uint16")


@pytest.fixture(scope="session")
def package16(tmp_path_factory, archive16_dir):
    out = tmp_path_factory.mktemp("package16") / "lens2logit"
    convert(archive16_dir, out, progress=False)
    return out


@pytest.fixture
def cache_dir(tmp_path):
    return str(tmp_path / "hf-cache")
