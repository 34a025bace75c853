"""The error paths a first user hits: one line naming the file and what to do, no traceback, exit 1
(or 2 for usage errors)."""

import argparse
import importlib.metadata
import os
import shutil
import signal
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import write_drone_archive
from helpers import tree

from _lens2logit.cli.main import main
from _lens2logit.cli.parser import build_parser
from _lens2logit.errors import Lens2LogitError
from _lens2logit.facts import INTENSITIES, MICROSCOPY_LABEL_FILE, PROCESSED_VIEWS
from _lens2logit.package.convert import convert
from _lens2logit.remote.push import push
from _lens2logit.sample.microscopy import DROPPED_IMAGES

CLI = [sys.executable, "-m", "_lens2logit.cli"]


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The command in a process of its own: what a user sees, tracebacks included."""
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, env=env)


def run_main(capsys, *args: str) -> subprocess.CompletedProcess:
    """The command in this process: quicker than run_cli, and an exception escaping it fails the test."""
    try:
        code = main(list(args))
    except SystemExit as exited:  # argparse: --help, --version and usage errors
        code = exited.code
    printed = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, printed.out, printed.err)


def assert_one_line_error(result: subprocess.CompletedProcess, *expected: str, code: int = 1) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, result.stderr
    for text in expected:
        assert text in errors[0], result.stderr


@pytest.fixture(scope="module")
def drone_zips(tmp_path_factory, drone_archive_dir) -> Path:
    """A folder of zips, as `lens2logit download` leaves it: the small drone archive zipped."""
    folder = tmp_path_factory.mktemp("downloads")
    shutil.make_archive(str(folder / "drone"), "zip", drone_archive_dir)
    return folder


def _member_data_offset(zip_path: Path, name: str) -> tuple[int, int]:
    """Where the compressed bytes of `name` start in the zip, and how many there are."""
    with zipfile.ZipFile(zip_path) as archive_zip:
        info = archive_zip.getinfo(name)
    with zip_path.open("rb") as raw:
        raw.seek(info.header_offset + 26)
        name_length, extra_length = (int.from_bytes(raw.read(2), "little") for _ in range(2))
    return info.header_offset + 30 + name_length + extra_length, info.compress_size


def test_truncated_zip_in_a_folder_of_zips(drone_zips, tmp_path):
    folder = shutil.copytree(drone_zips, tmp_path / "downloads")
    zip_path = folder / "drone.zip"
    zip_path.write_bytes(zip_path.read_bytes()[: zip_path.stat().st_size // 2])
    result = run_cli("convert", str(folder), str(tmp_path / "out"), "--no-progress")
    assert_one_line_error(result, f"{zip_path}: not a readable zip", "download it again")
    assert not (tmp_path / "out").exists()


def test_zip_member_with_a_bad_crc(drone_zips, tmp_path):
    folder = shutil.copytree(drone_zips, tmp_path / "downloads")
    zip_path = folder / "drone.zip"
    member = "drone/masks_full/DJI_0001.png"
    offset, size = _member_data_offset(zip_path, member)
    data = bytearray(zip_path.read_bytes())
    data[offset + size // 2] ^= 0xFF
    zip_path.write_bytes(bytes(data))
    result = run_cli("convert", str(folder), str(tmp_path / "out"), "--no-progress")
    assert_one_line_error(result, f"{zip_path}:{member}: damaged member", "download the zip again")


def test_check_decodes_every_intensity_and_names_each_unreadable_file(drone_archive_dir, tmp_path, capsys):
    archive = shutil.copytree(drone_archive_dir, tmp_path / "archive", copy_function=os.link)
    tiles = archive / "drone" / "images_tiles_256"
    broken = {
        sorted((tiles / "raw_scale050").iterdir())[0]: np.random.default_rng(0).bytes(4000),  # random bytes
        sorted((tiles / "raw_scale001").iterdir())[1]: None,  # truncated to half
        sorted((tiles / "raw_scale010").iterdir())[2]: b"",  # empty
    }
    for path, data in broken.items():
        data = path.read_bytes()[: path.stat().st_size // 2] if data is None else data
        path.unlink()  # a new file: the copy's files are links to the session archive's
        path.write_bytes(data)
    result = run_main(capsys, "check", str(archive), "--no-progress")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    for path in broken:
        assert f"{path}: cannot read as TIFF" in result.stderr
    assert "views and tiling: not checked, since 3 files did not decode" in result.stdout
    assert result.stdout.splitlines()[-1] == f"archive {archive}: 3 problem(s)"


def test_check_names_a_damaged_zip_member_below_full_intensity(drone_zips, tmp_path, capsys):
    folder = shutil.copytree(drone_zips, tmp_path / "downloads")
    zip_path = folder / "drone.zip"
    with zipfile.ZipFile(zip_path) as archive_zip:
        member = sorted(
            name for name in archive_zip.namelist() if "tiles_256/raw_scale025/" in name and name.endswith(".tif")
        )[0]
    offset, size = _member_data_offset(zip_path, member)
    data = bytearray(zip_path.read_bytes())
    data[offset + size // 2] ^= 0xFF
    zip_path.write_bytes(bytes(data))
    result = run_main(capsys, "check", str(folder), "--no-progress")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{zip_path}:{member}: damaged member" in result.stderr


def test_archive_without_a_config_folder(tmp_path):
    labels = tmp_path / "archive" / "microscopy" / "labels"
    labels.mkdir(parents=True)
    (labels / "labels.dat").write_text("Ma190c_lame1_zone1_composite_Mcropped_1 LYT\n")
    result = run_cli("convert", str(tmp_path / "archive"), str(tmp_path / "out"))
    assert_one_line_error(result, "holds none of the folders a config reads (microscopy/images/")
    assert not (tmp_path / "out").exists()


def test_package_given_as_an_archive(package, tmp_path):
    result = run_cli("convert", str(package), str(tmp_path / "out"))
    assert_one_line_error(result, f"{package}: is a converted package, not an archive")
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_check_reports_a_truncated_shard_and_push_refuses_it(package, tmp_path, capsys):
    copy = shutil.copytree(package, tmp_path / "package")
    shard = sorted((copy / "drone" / "train").glob("*.parquet"))[0]
    shard.write_bytes(shard.read_bytes()[:-100])
    assert main(["check", str(copy)]) == 1
    printed = capsys.readouterr()
    assert f"{shard}: not a readable Parquet file" in printed.err
    with pytest.raises(Lens2LogitError, match="not pushed") as refused:
        push(copy, "org/name")
    assert f"{shard}: not a readable Parquet file" in str(refused.value)


def test_check_a_microscopy_only_archive(microscopy_archive_dir, tmp_path, capsys):
    archive = shutil.copytree(microscopy_archive_dir, tmp_path / "archive")
    assert main(["check", str(archive), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    rows = (45 + DROPPED_IMAGES) * (len(INTENSITIES) + len(PROCESSED_VIEWS))
    assert f"layout: microscopy {rows} rows: files checked against the archive layout" in printed
    assert "tiling: not checked (it needs both drone/images_tiles_256/ and drone/images_full/)" in printed
    assert printed.splitlines()[-1] == f"archive {archive}: ok"
    sorted((archive / "microscopy/images/raw_scale050").iterdir())[0].unlink()
    assert main(["check", str(archive), "--no-progress"]) == 1
    printed = capsys.readouterr()
    assert "raw_scale050" in printed.err
    assert printed.out.splitlines()[-1] == f"archive {archive}: 1 problem(s)"


def test_summary_of_a_missing_path_an_archive_and_a_missing_config(drone_archive_dir, drone_package, tmp_path):
    assert_one_line_error(run_cli("summary", str(tmp_path / "nothing")), "nothing: no such folder")
    assert_one_line_error(run_cli("summary", str(drone_archive_dir)), "not a lens2logit package", "convert")
    result = run_cli("summary", str(drone_package), "--config", "microscopy", "--cache-dir", str(tmp_path / "cache"))
    assert_one_line_error(result, "has no config 'microscopy'; its configs are drone, drone_classification, drone_full")


def test_summary_writes_only_into_its_cache_dir(drone_package, tmp_path):
    home = tmp_path / "home"
    env = {key: value for key, value in os.environ.items() if not key.startswith("HF_")}
    env |= {"HOME": str(home), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    result = run_cli("summary", str(drone_package), "--cache-dir", str(tmp_path / "cache"), env=env)
    assert result.returncode == 0, result.stderr
    assert "drone/test: 95 rows of 5 images" in result.stdout
    assert any((tmp_path / "cache").iterdir())
    assert not home.exists()


def test_output_under_a_file(drone_archive_dir, tmp_path):
    (tmp_path / "file").write_text("mine")
    result = run_cli("convert", str(drone_archive_dir), str(tmp_path / "file" / "out"))
    assert_one_line_error(result, f"{tmp_path / 'file'}: File exists")
    assert (tmp_path / "file").read_text() == "mine"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder(drone_archive_dir, tmp_path):
    parent = tmp_path / "read-only"
    parent.mkdir(mode=0o555)
    assert_one_line_error(run_cli("convert", str(drone_archive_dir), str(parent / "out")), "Permission denied")


def test_full_disk(tmp_path):
    """Writes fail as on a full disk (file size limit, EFBIG): the partial output is removed."""
    archive = write_drone_archive(tmp_path / "archive")
    limit = 100_000

    def limit_writes():
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run(
        [*CLI, "convert", str(archive), str(tmp_path / "out"), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit_writes,
    )
    assert_one_line_error(result, "File too large")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["archive"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sample", "out", "--seed", "-1"], "argument --seed: must be 0 or more, got -1"),
        (["download", "out", "--retries", "-1"], "argument --retries: must be 0 or more, got -1"),
        (["convert", "a", "out", "--hub-id", 'a"b'], """argument --hub-id: 'a"b' is not a Hub repository id"""),
        (["convert", "a", "out", "--hub-id", "name"], "argument --hub-id: 'name' is not a Hub repository id ORG/NAME"),
        (["push", "pkg", "--repo", "a/b/c"], "argument --repo: 'a/b/c' is not a Hub repository id ORG/NAME"),
        (["sample", "out", "--images", "3"], "argument --images: must be 45 or more, got 3"),
        (["sample", "out", "--frames", "0"], "argument --frames: must be 2 or more, got 0"),
        (["sample", "out", "--frames", "two"], "argument --frames: invalid integer value: 'two'"),
    ],
)
def test_usage_errors(tmp_path, args, message):
    result = subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert_one_line_error(result, message, code=2)
    assert list(tmp_path.iterdir()) == []


def test_help_names_the_minimums_and_the_version_is_printed(capsys):
    sample_help = " ".join(run_main(capsys, "sample", "--help").stdout.split())
    assert "(default 45, the fewest a split takes;" in sample_help
    assert "(default 4, at least 2;" in sample_help
    check_help = " ".join(run_main(capsys, "--help").stdout.split())
    assert "or an archive: its layout and labels, its drone tiles against their frames, its stored views" in check_help
    version = run_main(capsys, "--version")
    assert version.returncode == 0
    assert version.stdout.strip() == f"lens2logit {importlib.metadata.version('lens2logit')}"


def test_download_from_an_unreachable_server_leaves_no_folder(tmp_path, capsys):
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    dest = tmp_path / "dest"
    result = run_main(capsys, "download", str(dest), "--zenodo-url", f"http://127.0.0.1:{port}", "--retries", "0")
    assert_one_line_error(result, f"http://127.0.0.1:{port}/api/records/")
    assert list(tmp_path.iterdir()) == []


def test_an_empty_label_file_is_named_by_check_and_convert(microscopy_archive_dir, tmp_path, capsys):
    archive = shutil.copytree(microscopy_archive_dir, tmp_path / "archive", copy_function=os.link)
    label_file = archive / "microscopy" / "labels" / MICROSCOPY_LABEL_FILE
    label_file.unlink()  # a new file: the copy's files are links to the session archive's
    label_file.write_text("\n  \n")
    for args in (["check", str(archive)], ["convert", str(archive), str(tmp_path / "out")]):
        assert_one_line_error(run_main(capsys, *args, "--no-progress"), f"{label_file}: holds no labels")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["archive"]


def test_a_corrupt_png_view_is_named_as_a_png(drone_archive_dir, tmp_path, capsys):
    archive = shutil.copytree(drone_archive_dir, tmp_path / "archive", copy_function=os.link)
    view = sorted((archive / "drone/images_tiles_256/processed_views").glob("*/*.png"))[0]
    view.unlink()
    view.write_bytes(b"not a picture")
    result = run_main(capsys, "convert", str(archive), str(tmp_path / "out"), "--no-progress")
    assert_one_line_error(result, f"{view}: cannot read as PNG: it does not start with the PNG signature")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["archive"]


def test_summary_names_an_unreadable_or_a_missing_shard(package, tmp_path, capsys):
    copy = tmp_path / "package"
    shutil.copytree(package / "drone_full", copy / "drone_full")
    for name in ("README.md", "dataset_infos.json"):
        shutil.copy2(package / name, copy / name)
    package = copy
    shards = sorted((package / "drone_full" / "train").glob("*.parquet"))
    shards[0].write_bytes(shards[0].read_bytes()[:-100])
    result = run_main(capsys, "summary", str(package), "--config", "drone_full", "--cache-dir", str(tmp_path / "cache"))
    assert_one_line_error(result, f"{shards[0]}: not a readable Parquet file", "convert the archive again")
    shards[0].unlink()
    result = run_main(capsys, "summary", str(package), "--config", "drone_full", "--cache-dir", str(tmp_path / "cache"))
    assert_one_line_error(result, f"{package / 'drone_full' / 'train'}: ", f"shards missing: {shards[0].name}")
    result = run_main(capsys, "check", str(package))
    assert result.returncode == 1
    assert f"drone_full/train: shard {shards[0].name} is missing" in result.stderr


def test_hub_id_is_checked_before_any_work(drone_archive_dir, tmp_path):
    with pytest.raises(Lens2LogitError, match="is not a Hub repository id"):
        convert(drone_archive_dir, tmp_path / "out", hub_id='a"b')
    assert list(tmp_path.iterdir()) == []


def test_infos_into_a_missing_folder(tmp_path):
    result = run_cli("infos", str(tmp_path / "no" / "such" / "x.json"))
    assert_one_line_error(result, f"{tmp_path / 'no' / 'such'}: no such folder")


def test_infos_never_replaces_a_file_it_did_not_write(tmp_path, capsys):
    kept = tmp_path / "x.txt"
    kept.write_text("keep\n")
    for args in ([str(kept)], [str(kept), "--overwrite"]):
        result = run_main(capsys, "infos", *args)
        assert_one_line_error(result, f"{kept}: ")
        assert kept.read_text() == "keep\n"
    assert_one_line_error(run_main(capsys, "infos", str(tmp_path)), f"{tmp_path}: is a folder; give the file to write")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["x.txt"]


def test_infos_replaces_infos_only_when_asked(tmp_path, capsys):
    out = tmp_path / "dataset_infos.json"
    assert run_main(capsys, "infos", str(out)).returncode == 0
    published = out.read_text()
    assert published == (Path(__file__).parents[1] / "dataset_infos.json").read_text()
    out.write_text(published.replace('"microscopy"', '"microscopy_old"', 1))
    assert_one_line_error(run_main(capsys, "infos", str(out)), f"{out}: already exists; pass --overwrite to replace it")
    assert run_main(capsys, "infos", str(out), "--overwrite").returncode == 0
    assert out.read_text() == published


def test_push_without_network(package, tmp_path):
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = {**os.environ, "HF_ENDPOINT": f"http://127.0.0.1:{port}", "HF_HUB_OFFLINE": "0", "HF_TOKEN": "hf_test"}
    result = run_cli("push", str(package), "--repo", "org/name", env=env)
    assert_one_line_error(result, f"not pushed to org/name at http://127.0.0.1:{port}", "Check the network")


# Every path argument of every command, given what a user may mistype: one line naming the path and what to do,
# exit 1, and the user's files as they were. `archive` stands for the small drone archive.
_BAD_PATHS = [
    (["convert", "missing", "out"], "missing: no such file or folder; pass the archive's folder"),
    (["convert", "empty", "out"], "empty: holds no microscopy/ or drone/ folder and no .zip files"),
    (["convert", "notes.txt", "out"], "notes.txt: not a zip file; pass a folder, a .zip or a folder of zips"),
    (["convert", "archive", "mine"], "mine: is not a lens2logit package, so --overwrite would lose what it holds"),
    (["convert", "archive", "notes.txt"], "notes.txt: is a file, not a lens2logit package"),
    (["convert", "archive", "archive/drone/out"], "archive/drone/out: overlaps the input archive"),
    (["check", "missing"], "missing: no such file or folder"),
    (["check", "empty"], "empty: holds no microscopy/ or drone/ folder"),
    (["check", "notes.txt"], "notes.txt: not a zip file"),
    (["summary", "missing"], "missing: no such folder; give a package written by `lens2logit convert`"),
    (["summary", "archive"], "archive: not a lens2logit package (no README.md and dataset_infos.json)"),
    (["push", "notes.txt", "--repo", "org/name"], "notes.txt: not a lens2logit package"),
    (["infos", "mine"], "mine: is a folder; give the file to write, e.g. mine/dataset_infos.json"),
    (["infos", "notes.txt"], "notes.txt: is not a dataset_infos.json, so --overwrite would lose what it holds"),
    (["infos", "missing/infos.json"], "missing: no such folder; create it first"),
    (["sample", "mine"], "mine: is not a sample archive written by `lens2logit sample`"),
    (["sample", "notes.txt"], "notes.txt: is a file, not a sample archive"),
]


@pytest.mark.parametrize(("args", "message"), _BAD_PATHS, ids=[" ".join(args) for args, _ in _BAD_PATHS])
def test_every_command_names_a_bad_path(drone_archive_dir, tmp_path, monkeypatch, capsys, args, message):
    shutil.copytree(drone_archive_dir, tmp_path / "archive", copy_function=os.link)
    (tmp_path / "empty").mkdir()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "keep.txt").write_text("keep\n")
    (tmp_path / "notes.txt").write_text("keep\n")
    before = tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(
        run_main(capsys, *args, *(["--no-progress"] if args[0] in ("convert", "check") else [])), message
    )
    assert tree(tmp_path) == before


def test_every_argument_of_every_command_has_a_help_text():
    parser = build_parser()
    (commands,) = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    missing = [
        f"{name} {action.dest}"
        for name, command in commands.choices.items()
        for action in command._actions
        if not action.help and not isinstance(action, argparse._HelpAction)
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("deleted", "splits"),
    [
        ("02-raw_scale050-00000-of-00001.parquet", ["train"]),  # a raw condition, in one split
        ("09-bilinear-unsharp_masking-gaussian_denoising-00000-of-00001.parquet", ["test"]),  # a view, in one split
        ("06-raw_scale001-00000-of-00001.parquet", ["train", "test"]),  # a condition, in every split
    ],
)
def test_a_deleted_whole_condition_is_named(package, tmp_path, capsys, deleted, splits):
    copy = tmp_path / "package"
    shutil.copytree(package / "microscopy", copy / "microscopy", copy_function=os.link)  # links: cheap, and
    for name in ("README.md", "dataset_infos.json", "croissant.json"):  # unlinking one leaves the session's
        shutil.copy2(package / name, copy / name)
    for split in splits:
        (copy / "microscopy" / split / deleted).unlink()
    named = deleted.split("-00000-of-")[0] + "-*.parquet"  # the condition's shards, whatever their count
    result = run_main(capsys, "summary", str(copy), "--cache-dir", str(tmp_path / "cache"))
    assert_one_line_error(result, f"{copy / 'microscopy' / splits[0]}: ", f"(shards missing: {named})")
    result = run_main(capsys, "check", str(copy))
    assert result.returncode == 1
    for split in splits:
        assert f"microscopy/{split}: " in result.stderr
        assert f"rows in the shards (no shard of {named}), " in result.stderr
    assert result.stderr.count(f"(no shard of {named})") == 2 * len(splits)  # against the card and the infos
