"""Read the Lens2Logit archive in place: an extracted folder, zip files, or a folder of zips.

Every file is addressed by its path relative to the archive root (`microscopy/labels/x.dat`),
whatever the packaging; an extra top-level folder is dropped, stray OS files are ignored and
unsafe member paths (absolute, `..`, links) are rejected.
"""

import hashlib
import os
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import TypeVar

from ..errors import (
    ArchiveLayoutError,
    ArchiveNotFoundError,
    CorruptArchiveError,
    ImageFormatError,
    UnsafeArchiveError,
)
from ..facts import DATASET_FOLDERS

T = TypeVar("T")
_STRAY_NAMES = {"thumbs.db", "desktop.ini", "__macosx"}


def _is_stray(parts: tuple[str, ...]) -> bool:
    return any(part.startswith(".") or part.lower() in _STRAY_NAMES for part in parts)


def as_sources(source: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """The archive's paths, whether one or several were given."""
    return [Path(source)] if isinstance(source, (str, os.PathLike)) else [Path(path) for path in source]


def fingerprint(source: str | os.PathLike | Iterable[str | os.PathLike]) -> str:
    """The archive's absolute paths and every file's name, size and mtime under them, hashed: it
    changes whenever a file of the archive is replaced, added or removed."""
    digest = hashlib.sha256()
    for path in as_sources(source):
        root = path.resolve()
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        digest.update(f"{root}\0".encode())
        for file in files:
            info = file.stat()
            digest.update(f"{file.relative_to(root)}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    return digest.hexdigest()


class Archive:
    """Files of the archive by relative POSIX path, read from folders or zips without extraction."""

    def __init__(self, source: str | os.PathLike | Iterable[str | os.PathLike]):
        self._files: dict[str, tuple[zipfile.ZipFile | None, str]] = {}
        self._zips: list[zipfile.ZipFile] = []
        self._derived: dict[str, object] = {}
        self._unreadable: dict[str, str] | None = None  # see collect_unreadable
        sources = as_sources(source)
        if not sources:
            raise ArchiveNotFoundError("no archive given: pass a folder, a .zip or a folder of zips")
        for path in sources:
            self._add_source(path)
        if not self._files:
            raise ArchiveNotFoundError(
                f"{', '.join(map(str, sources))}: no files of the Lens2Logit archive found "
                f"(expected {' or '.join(f'{f}/' for f in DATASET_FOLDERS)} inside)"
            )

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        for archive_zip in self._zips:
            archive_zip.close()
        self._derived.clear()

    def derived(self, name: str, compute: Callable[[], T]) -> T:
        """`compute()` the first time `name` is asked for while the archive is open, the same value after:
        facts read from its files that several configs' indexes share."""
        if name not in self._derived:
            self._derived[name] = compute()
        return self._derived[name]

    def paths(self, folder: str) -> list[str]:
        """Sorted relative paths of the files under `folder` (all files for "")."""
        prefix = folder.rstrip("/") + "/" if folder else ""
        return sorted(path for path in self._files if path.startswith(prefix))

    def has_folder(self, folder: str) -> bool:
        prefix = folder.rstrip("/") + "/"
        return any(path.startswith(prefix) for path in self._files)

    def read_bytes(self, path: str) -> bytes:
        archive_zip, name = self._files[path]
        if archive_zip is None:
            return Path(name).read_bytes()
        try:
            return archive_zip.read(name)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise CorruptArchiveError(
                f"{archive_zip.filename}:{name}: damaged member ({exc}); download the zip again "
                "(`lens2logit download` checks every file's md5)"
            ) from None

    def decode(self, path: str, decoder: Callable[..., T], *args) -> T | None:
        """`decoder(data, *args, where)` of the file at `path`. Once `collect_unreadable` was called, a file that
        does not decode gives None, its error kept, instead of raising."""
        try:
            return decoder(self.read_bytes(path), *args, self.where(path))
        except (ImageFormatError, CorruptArchiveError) as error:
            if self._unreadable is None:
                raise
            self._unreadable.setdefault(path, str(error))
            return None

    def collect_unreadable(self) -> dict[str, str]:
        """From now on `decode` keeps going past unreadable files: the dict it fills (path -> error), for
        `check` to list every one."""
        self._unreadable = {}
        return self._unreadable

    def is_unreadable(self, path: str) -> bool:
        return self._unreadable is not None and path in self._unreadable

    def where(self, path: str) -> str:
        """Where a file really is, for messages: a file path or `archive.zip:member`."""
        archive_zip, name = self._files[path]
        return name if archive_zip is None else f"{archive_zip.filename}:{name}"

    def _add_source(self, path: Path) -> None:
        if not path.exists():
            raise ArchiveNotFoundError(
                f"{path}: no such file or folder; pass the archive's folder, a .zip or a folder of zips"
            )
        if path.is_file():
            if path.suffix.lower() != ".zip" and not zipfile.is_zipfile(path):
                raise ArchiveLayoutError(f"{path}: not a zip file; pass a folder, a .zip or a folder of zips")
            self._add_zip(path)
        elif any((path / name).is_dir() for name in DATASET_FOLDERS):
            self._add_folder(path)
        elif zips := sorted(p for p in path.iterdir() if p.suffix.lower() == ".zip" and p.is_file()):
            for zip_path in zips:
                self._add_zip(zip_path)
        elif len(subfolders := [p for p in path.iterdir() if p.is_dir() and not _is_stray((p.name,))]) == 1:
            self._add_source(subfolders[0])
        else:
            raise ArchiveNotFoundError(
                f"{path}: holds no {' or '.join(f'{f}/' for f in DATASET_FOLDERS)} folder and no .zip files"
            )

    def _add_folder(self, root: Path) -> None:
        for folder, subfolders, names in os.walk(root):
            for name in sorted(subfolders + names):
                full = Path(folder) / name
                if full.is_symlink():
                    raise UnsafeArchiveError(f"{full}: links are not allowed in the archive; replace it by the file")
            for name in names:
                full = Path(folder) / name
                parts = full.relative_to(root).parts
                if not _is_stray(parts):
                    self._add_file("/".join(parts), None, str(full))

    def _add_zip(self, path: Path) -> None:
        try:
            archive_zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, EOFError) as exc:
            raise CorruptArchiveError(
                f"{path}: not a readable zip ({exc}); it may be truncated: download it again "
                "(`lens2logit download` checks every file's md5)"
            ) from None
        self._zips.append(archive_zip)
        members = [info for info in archive_zip.infolist() if not info.is_dir()]
        for info in members:
            _check_member(path, info)
        parts_of = {info.filename: PurePosixPath(info.filename).parts for info in members}
        kept = {name: parts for name, parts in parts_of.items() if not _is_stray(parts)}
        tops = {parts[0] for parts in kept.values()}
        strip = 1 if len(tops) == 1 and not tops & set(DATASET_FOLDERS) else 0
        for name, parts in kept.items():
            self._add_file("/".join(parts[strip:]), archive_zip, name)

    def _add_file(self, relative: str, archive_zip: zipfile.ZipFile | None, name: str) -> None:
        if relative in self._files:
            raise ArchiveLayoutError(
                f"{relative}: present twice, in {self.where(relative)} and "
                f"{name if archive_zip is None else f'{archive_zip.filename}:{name}'}; keep one"
            )
        self._files[relative] = (archive_zip, name)


def _check_member(path: Path, info: zipfile.ZipInfo) -> None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or (parts and parts[0].endswith(":")) or ".." in parts:
        raise UnsafeArchiveError(f"{path}:{name}: unsafe member path (absolute or with '..'); refusing the archive")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UnsafeArchiveError(f"{path}:{name}: member is a link; links are not allowed in the archive")
