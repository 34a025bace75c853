"""Write an output folder safely: never over its input or a folder we did not write, one writer at a
time, atomically, and nothing left behind.

The folder `out` is written as a staging folder `.{out.name}.staging-{pid}-{token}` next to it and
renamed into place when complete; a lock file `.{out.name}.lock` (an OS lock, released even when the
process is killed) keeps a second writer out. Staging folders whose writer is gone are removed by
the next run to the same `out`.
"""

import errno
import glob
import logging
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import filelock

from .errors import OutputError, PackageExistsError

logger = logging.getLogger(__name__)

_LEFTOVER = re.compile(r"\.(?P<name>.+)\.(?:staging|old)-(?P<pid>\d+)-[0-9a-f]{8}")


def _sibling(out: Path, kind: str) -> Path:
    return out.parent / f".{out.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def _leftovers(out: Path) -> list[tuple[Path, str]]:
    """Staging and replaced folders of runs writing `out`, with their writer's pid."""
    found = []
    for path in sorted(out.parent.glob(f".{glob.escape(out.name)}.*-*")):
        match = _LEFTOVER.fullmatch(path.name)
        if match and match["name"] == out.name and path.is_dir():
            found.append((path, match["pid"]))
    return found


def files_under(folder: Path) -> list[str]:
    """Relative POSIX paths of every file under `folder`, hidden ones too, sorted."""
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())


def check_apart(out: Path, inputs: Iterable[Path]) -> None:
    """Refuse an `out` that is, holds or lies inside one of `inputs`."""
    target = Path(out).resolve()
    for source in inputs:
        resolved = Path(source).resolve()
        if target == resolved or target in resolved.parents or resolved in target.parents:
            raise OutputError(
                f"{out}: overlaps the input {source}; writing there would destroy it. "
                "Choose an output folder outside the input"
            )


def _check_replaceable(out: Path, overwrite: bool, foreign: Callable[[Path], list[str]], what: str) -> None:
    """Refuse an existing `out` unless it is `what` and `overwrite` is given; --overwrite is offered only where
    it would work."""
    if not out.exists():
        return
    if not out.is_dir():
        raise OutputError(f"{out}: is a file, not {what}; --overwrite replaces only {what}. Choose another folder")
    if lost := foreign(out):
        shown = ", ".join(lost[:5]) + (f" and {len(lost) - 5} more" if len(lost) > 5 else "")
        raise OutputError(
            f"{out}: is not {what}, so --overwrite would lose what it holds ({shown}). "
            "Choose another folder, or move its contents away first"
        )
    if not overwrite:
        raise PackageExistsError(f"{out}: already exists; pass --overwrite to replace it")


def _lock(out: Path) -> filelock.BaseFileLock:
    lock = filelock.FileLock(out.parent / f".{out.name}.lock", timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        pids = sorted({pid for _, pid in _leftovers(out)})
        who = f"another lens2logit run (pid {', '.join(pids)})" if pids else "another lens2logit run"
        raise OutputError(f"{out}: {who} is writing it now; wait for it to finish or stop it") from None
    return lock


def _remove_leftovers(out: Path) -> None:
    """Remove what interrupted runs left: no live run holds the lock, so no one owns these."""
    for path, pid in _leftovers(out):
        logger.info("removing %s, left by an interrupted run (pid %s)", path, pid)
        shutil.rmtree(path)


def _replace(staging: Path, out: Path) -> None:
    """Move the finished folder into place; an existing `out` is removed only after that."""
    if not out.exists():
        staging.rename(out)
        return
    old = _sibling(out, "old")
    out.rename(old)
    staging.rename(out)
    shutil.rmtree(old)


@contextmanager
def staged_output(
    out: Path,
    overwrite: bool,
    foreign: Callable[[Path], list[str]],
    what: str,
    inputs: Iterable[Path] = (),
) -> Iterator[Path]:
    """An empty staging folder that replaces `out` when the block completes, and is removed otherwise.

    `foreign(out)` lists what an existing `out` holds that is not `what` (a description such as "a
    lens2logit package"); `--overwrite` replaces `out` only when that list is empty. Folders are
    created with the user's umask.
    """
    out = Path(out)
    check_apart(out, inputs)
    _check_replaceable(out, overwrite, foreign, what)
    out.parent.mkdir(parents=True, exist_ok=True)
    lock = _lock(out)
    try:
        _check_replaceable(out, overwrite, foreign, what)  # again: another run may have finished meanwhile
        _remove_leftovers(out)
        staging = _sibling(out, "staging")
        staging.mkdir()
        try:
            yield staging
            _replace(staging, out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    finally:
        Path(lock.lock_file).unlink(missing_ok=True)
        lock.release()


def write_text_atomically(path: Path, text: str) -> None:
    """Write `path` whole or not at all: a temporary file next to it, then renamed over it."""
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no such folder; create it first, or write elsewhere", str(path.parent))
    partial = _sibling(path, "partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
