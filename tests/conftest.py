"""Session fixtures: synthetic archives (folder, zip, 16-bit views) and their converted packages."""

import atexit
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"  # tests never reach the network
os.environ["HF_DATASETS_OFFLINE"] = "1"
# Tests write nothing into the user's Hugging Face cache: set before datasets is imported.
HF_HOME = tempfile.mkdtemp(prefix="lens2logit-tests-hf-home-")
atexit.register(shutil.rmtree, HF_HOME, ignore_errors=True)
os.environ["HF_HOME"] = HF_HOME
# hypothesis keeps its files (a cache of constants) under the same temporary folder, not in the project.
os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = str(Path(HF_HOME) / "hypothesis")
os.environ.pop("HF_DATASETS_CACHE", None)
os.environ.pop("HF_HUB_CACHE", None)
_connect = socket.socket.connect
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _loopback_only(sock, address):
    """Refuse every connection that would leave 127.0.0.1, whatever library makes it."""
    if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOOPBACK:
        raise OSError(f"tests must not reach the network: connection to {address!r} refused")
    return _connect(sock, address)


def _resolve_loopback_only(host, *args, **kwargs):
    if host is not None and host not in _LOOPBACK:
        raise socket.gaierror(f"tests must not reach the network: lookup of {host!r} refused")
    return _getaddrinfo(host, *args, **kwargs)


_getaddrinfo = socket.getaddrinfo
socket.socket.connect = _loopback_only
socket.getaddrinfo = _resolve_loopback_only

import filelock  # noqa: E402
import pytest  # noqa: E402

from _lens2logit.package.convert import convert  # noqa: E402
from _lens2logit.sample.drone import drone_files  # noqa: E402
from _lens2logit.sample.microscopy import microscopy_files  # noqa: E402
from _lens2logit.sample.writer import write_sample  # noqa: E402

SEED = 7
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def made_once(tmp_path_factory, worker_id):
    """`made_once(name, make)`: the folder `name` of this test run, written by `make(folder)` once for all the
    run's pytest-xdist workers (the first to ask writes it, the others wait for it); tests only read it."""
    root = tmp_path_factory.getbasetemp()
    shared = (root if worker_id == "master" else root.parent) / "made-once"
    shared.mkdir(exist_ok=True)

    def folder(name: str, make) -> Path:
        path = shared / name / "lens2logit"
        with filelock.FileLock(shared / f"{name}.lock"):
            if not (shared / f"{name}.done").exists():
                make(path)
                (shared / f"{name}.done").touch()
        return path

    return folder


@pytest.fixture(scope="session")
def archive_dir(made_once):
    return made_once("archive", lambda out: write_sample(out, seed=SEED))


def first_command_steps(folder: Path) -> str:
    """The README's first command after its install step, writing into `folder` instead of /tmp."""
    first_line = re.search(r"```bash\n(.*?)\n", (ROOT / "README.md").read_text()).group(1)
    install, *steps = first_line.split(" && ")
    assert install == "pip install -e ."
    return " && ".join(steps).replace("/tmp/l2l-", f"{folder}/l2l-")


def run_first_command(folder: Path) -> subprocess.CompletedProcess:
    """The README's first command (this environment installed the package) with its archive and package in
    `folder`."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = first_command_steps(folder)
    return subprocess.run(command, shell=True, capture_output=True, text=True, timeout=600, env=env)


def _first_run(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)  # a failed earlier try may have left it
    result = run_first_command(out)
    (out / "stdout.txt").write_text(result.stdout)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="session")
def first_command(made_once):
    """The folder of the README's first command run once: `l2l-archive` (the sample, zipped, of the command's
    default seed), `l2l-package` (its package) and `stdout.txt`."""
    return made_once("first_command", _first_run)


@pytest.fixture(scope="session")
def archive_zip_dir(made_once):
    return made_once("archive_zip", lambda out: write_sample(out, seed=SEED, as_zip=True))


def converted(made_once, name: str, archive):
    """The package of `archive`, in a session folder `name`."""
    return made_once(name, lambda out: convert(archive, out, progress=False))


@pytest.fixture(scope="session")
def package(made_once, archive_dir):
    return converted(made_once, "package", archive_dir)


@pytest.fixture(scope="session")
def archive16_dir(made_once):
    return made_once("archive16", lambda out: write_sample(out, seed=SEED, view_dtype="uint16"))


@pytest.fixture(scope="session")
def package16(made_once, archive16_dir):
    return converted(made_once, "package16", archive16_dir)


@pytest.fixture
def cache_dir(tmp_path):
    return str(tmp_path / "hf-cache")


def write_files(out, files):
    for relative, data in files:
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return out


def write_drone_archive(out, frame_format: str = "dng"):
    """A drone-only archive of two small frames: quick to copy and break in error tests."""
    return write_files(out, drone_files(2, SEED, "uint8", frame_format=frame_format))


@pytest.fixture(scope="session")
def drone_archive_dir(made_once):
    return made_once("drone", write_drone_archive)


@pytest.fixture(scope="session")
def drone_package(made_once, drone_archive_dir):
    return converted(made_once, "drone_package", drone_archive_dir)


@pytest.fixture(scope="session")
def microscopy_archive_dir(made_once):
    return made_once("microscopy", lambda out: write_files(out, microscopy_files(45, SEED, "uint8")))


@pytest.fixture(scope="session")
def microscopy_package(made_once, microscopy_archive_dir):
    return converted(made_once, "microscopy_package", microscopy_archive_dir)
