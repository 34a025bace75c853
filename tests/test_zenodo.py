"""Fetching the archive from a Zenodo-shaped server on 127.0.0.1: resume, checksums, retries, cache."""

import io
import socket
import zipfile
from pathlib import Path

import datasets
import pytest
from helpers import tree
from zenodo_server import ZenodoServer

from _lens2logit.cli.main import main
from _lens2logit.errors import ChecksumError, DownloadError
from _lens2logit.facts import ZENODO_RECORD_ID
from _lens2logit.package.convert import convert
from _lens2logit.remote.zenodo import ZENODO_URL_ENV, download
from lens2logit import Lens2Logit

FAST = {"retries": 2, "backoff": 0.01, "progress": False}


def zip_of(archive: Path, dataset: str) -> bytes:
    """One dataset of the archive folder as a zip, members under `lens2logit/` like the sample's."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive_zip:
        for path in sorted((archive / dataset).rglob("*")):
            if path.is_file():
                archive_zip.write(path, f"lens2logit/{path.relative_to(archive)}")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def record_files(archive_dir):
    return {f"{dataset}.zip": zip_of(archive_dir, dataset) for dataset in ("drone", "microscopy")}


@pytest.fixture
def zenodo(record_files):
    with ZenodoServer(ZENODO_RECORD_ID, dict(record_files)) as server:
        yield server


def test_download_convert_load_equals_the_local_archive(zenodo, package, tmp_path, capsys):
    dest = tmp_path / "download"
    assert main(["download", str(dest), "--zenodo-url", zenodo.url, "--no-progress"]) == 0
    assert "2 verified file(s)" in capsys.readouterr().out
    assert sorted(p.name for p in dest.iterdir() if not p.name.startswith(".")) == ["drone.zip", "microscopy.zip"]
    converted = tmp_path / "package"
    convert(dest, converted, progress=False)
    assert tree(converted) == tree(package)


def test_second_run_downloads_nothing(zenodo, tmp_path):
    download(tmp_path, base_url=zenodo.url, **FAST)
    assert len(zenodo.content_requests()) == 2
    zenodo.requests.clear()
    download(tmp_path, base_url=zenodo.url, **FAST)
    assert zenodo.requests == [(f"/api/records/{ZENODO_RECORD_ID}", None)]
    for marker in tmp_path.glob(".*.md5"):  # files put there by hand are hashed, not fetched again
        marker.unlink()
    (tmp_path / "drone.zip").write_bytes(b"not the record's file")
    zenodo.requests.clear()
    download(tmp_path, base_url=zenodo.url, **FAST)
    assert [path.rsplit("/", 2)[1] for path, _ in zenodo.content_requests()] == ["drone.zip"]
    assert sorted(p.name for p in tmp_path.glob(".*.md5")) == [".drone.zip.md5", ".microscopy.zip.md5"]


def test_dropped_connection_resumes(zenodo, record_files, tmp_path):
    size = len(record_files["drone.zip"])
    zenodo.drop_after["drone.zip"] = size // 3
    (path,) = download(tmp_path, only="drone", base_url=zenodo.url, **FAST)
    assert path.read_bytes() == record_files["drone.zip"]
    content = f"/api/records/{ZENODO_RECORD_ID}/files/drone.zip/content"
    (first, _), (second, resumed) = zenodo.content_requests()
    assert first == second == content
    assert 0 < int(resumed.removeprefix("bytes=").rstrip("-")) <= size // 3  # what reached the disk is kept


def test_wrong_md5_is_an_error_and_leaves_no_file(zenodo, tmp_path):
    zenodo.wrong_md5.add("microscopy.zip")
    with pytest.raises(ChecksumError, match="microscopy.zip: md5 is [0-9a-f]{32}, the record lists [0-9a-f]{32}"):
        download(tmp_path, only="microscopy", base_url=zenodo.url, **FAST)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_server_errors_after_bounded_retries(zenodo, tmp_path):
    zenodo.statuses["drone.zip"] = [503] * 10
    with pytest.raises(DownloadError, match=r"drone.zip: .*/drone.zip/content answered HTTP 503"):
        download(tmp_path, only="drone", base_url=zenodo.url, **FAST)
    assert len(zenodo.content_requests()) == 1 + FAST["retries"]
    zenodo.statuses["drone.zip"] = [503]  # a transient error is retried and passes
    download(tmp_path, only="drone", base_url=zenodo.url, **FAST)
    assert (tmp_path / "drone.zip").is_file()


def test_missing_record_is_a_clear_error(zenodo, tmp_path, capsys):
    assert main(["download", str(tmp_path), "--record", "1", "--zenodo-url", zenodo.url, "--no-progress"]) == 1
    assert f"Zenodo record 1: {zenodo.url}/api/records/1 answered HTTP 404" in capsys.readouterr().err


def test_unreachable_server_is_a_clear_error(tmp_path):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(DownloadError, match=f"Zenodo record {ZENODO_RECORD_ID}: http://127.0.0.1:{port}/api/records"):
        download(tmp_path, base_url=f"http://127.0.0.1:{port}", **FAST)


@pytest.mark.parametrize("url", ["https://zenodo.org", "http://192.0.2.1"])
def test_no_request_leaves_loopback(tmp_path, url):
    with pytest.raises(DownloadError, match="tests must not reach the network"):
        download(tmp_path, base_url=url, **FAST)


def test_builder_without_data_dir_fetches_the_record(zenodo, monkeypatch, tmp_path, package):
    monkeypatch.setenv(ZENODO_URL_ENV, zenodo.url)
    builder = Lens2Logit(config_name="drone", cache_dir=str(tmp_path))
    builder.download_and_prepare()
    built = builder.as_dataset(split="test")
    loaded = datasets.load_dataset(str(package), "drone", split="test", cache_dir=str(tmp_path / "loaded"))
    assert built.data.table.equals(loaded.data.table)
    assert [path for path, _ in zenodo.content_requests()] == [
        f"/api/records/{ZENODO_RECORD_ID}/files/drone.zip/content"
    ]
    assert (tmp_path / "downloads" / f"lens2logit-zenodo-{ZENODO_RECORD_ID}" / "drone.zip").is_file()
