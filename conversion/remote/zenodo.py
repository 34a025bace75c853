"""Download the archive from a Zenodo record: list its files through the REST API, fetch each with
resume and retries, verify size and md5, and keep verified files so a second run fetches nothing."""

import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from tqdm.auto import tqdm
from urllib3.util import Retry

from ..errors import ChecksumError, DownloadError
from ..facts import DATASET_FOLDERS, ZENODO_RECORD_ID

logger = logging.getLogger(__name__)

DEFAULT_ZENODO_URL = "https://zenodo.org"
ZENODO_URL_ENV = "LENS2LOGIT_ZENODO_URL"
RETRIES = 5
BACKOFF = 1.0  # seconds; doubles with every retry
TIMEOUT = 60  # seconds without a byte before a request counts as failed
_CHUNK = 2**20
_TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


@dataclass(frozen=True)
class RecordFile:
    key: str  # file name in the record
    size: int
    md5: str
    url: str


def zenodo_url(url: str | None = None) -> str:
    """The Zenodo base URL: `url`, else $LENS2LOGIT_ZENODO_URL, else https://zenodo.org."""
    return (url or os.environ.get(ZENODO_URL_ENV) or DEFAULT_ZENODO_URL).rstrip("/")


def _session(retries: int, backoff: float) -> requests.Session:
    """A session that retries refused connections and 429/5xx answers with exponential backoff."""
    retry = Retry(
        total=retries,
        backoff_factor=backoff,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=("GET",),
        raise_on_status=False,
    )
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


def _get(session: requests.Session, url: str, what: str, **kwargs) -> requests.Response:
    try:
        response = session.get(url, timeout=TIMEOUT, **kwargs)
    except requests.RequestException as exc:
        reason = getattr(exc.args[0], "reason", exc) if exc.args else exc  # urllib3's cause, without its wrapping
        raise DownloadError(
            f"{what}: {url} failed after retries ({reason}); check the network and the server address "
            "(--zenodo-url), then run again: files already downloaded are kept"
        ) from exc
    if response.status_code >= 400:
        response.close()
        raise DownloadError(f"{what}: {url} answered HTTP {response.status_code} {response.reason}")
    return response


def list_files(session: requests.Session, base_url: str, record_id: int) -> list[RecordFile]:
    """The record's files with size and md5, from `GET /api/records/<id>`."""
    url = f"{base_url}/api/records/{record_id}"
    record = _get(session, url, f"Zenodo record {record_id}").json()
    files = [_record_file(entry, url) for entry in record.get("files") or []]
    if not files:
        raise DownloadError(f"Zenodo record {record_id} at {url} lists no files")
    return sorted(files, key=lambda file: file.key)


def _record_file(entry: dict, record_url: str) -> RecordFile:
    """One entry of the record's `files`: `key`, `size`, `checksum` ("md5:<hex>"), `links.self`."""
    try:
        algorithm, _, digest = entry["checksum"].rpartition(":")
        if algorithm not in ("", "md5"):
            raise ValueError(f"checksum is {algorithm}, not md5")
        link = entry.get("links", {}).get("self") or f"{record_url}/files/{entry['key']}/content"
        return RecordFile(entry["key"], int(entry["size"]), digest.lower(), link)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DownloadError(f"{record_url}: file entry {entry!r} is not understood: {exc}") from exc


def select_files(files: list[RecordFile], only: str | None) -> list[RecordFile]:
    """The files of one dataset (`microscopy` or `drone`) by name; all files when none is named for it."""
    if only is None:
        return files
    if only not in DATASET_FOLDERS:
        raise DownloadError(f"--only must be one of {', '.join(DATASET_FOLDERS)}, got {only!r}")
    named = [file for file in files if only in file.key.lower()]
    if not named:
        logger.warning("no file of the record is named for %s; downloading all %d files", only, len(files))
    return named or files


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _marker(path: Path) -> Path:
    """Records that `path` was verified, so it is not hashed again (dot files are not read as archive)."""
    return path.with_name(f".{path.name}.md5")


def is_verified(path: Path, file: RecordFile) -> bool:
    """Whether `path` holds `file`: known from an earlier check, or hashed now (a file fetched by hand)."""
    if not path.is_file() or path.stat().st_size != file.size:
        return False
    marker = _marker(path)
    if marker.is_file() and marker.read_text().strip() == file.md5:
        return True
    if _md5(path) != file.md5:
        return False
    marker.write_text(file.md5 + "\n")
    return True


def _fetch(session: requests.Session, file: RecordFile, path: Path, retries: int, backoff: float, bar: tqdm) -> None:
    """Download `file` to `path` through `path.part`, resuming the part after a dropped connection."""
    part = path.with_name(path.name + ".part")
    for attempt in range(retries + 1):
        start = part.stat().st_size if part.exists() else 0
        if start > file.size:
            part.unlink()
            start = 0
        if start == file.size:
            break
        headers = {"Range": f"bytes={start}-"} if start else {}
        response = _get(session, file.url, file.key, headers=headers, stream=True)
        if start and response.status_code != 206:  # the server ignored the range: start over
            start = 0
        bar.reset(total=file.size)
        bar.update(start)
        try:
            with response, part.open("ab" if start else "wb") as sink:
                for chunk in response.iter_content(_CHUNK):
                    sink.write(chunk)
                    bar.update(len(chunk))
        except _TRANSIENT as exc:
            if attempt == retries:
                raise DownloadError(f"{file.key}: connection lost {retries + 1} times; last: {exc}") from exc
            logger.warning("%s: connection lost at byte %d (%s); resuming", file.key, part.stat().st_size, exc)
            time.sleep(backoff * 2**attempt)
    size = part.stat().st_size
    if size != file.size:
        part.unlink()
        raise ChecksumError(f"{file.key}: downloaded {size} bytes, the record lists {file.size}; removed it")
    digest = _md5(part)
    if digest != file.md5:
        part.unlink()
        raise ChecksumError(f"{file.key}: md5 is {digest}, the record lists {file.md5}; removed the download")
    part.rename(path)
    _marker(path).write_text(file.md5 + "\n")


def download(
    dest: Path,
    record_id: int = ZENODO_RECORD_ID,
    only: str | None = None,
    base_url: str | None = None,
    progress: bool = True,
    retries: int = RETRIES,
    backoff: float = BACKOFF,
) -> list[Path]:
    """Download the record's files (or those of dataset `only`) into `dest`; verified files are kept."""
    dest = Path(dest)
    with _session(retries, backoff) as session:
        files = select_files(list_files(session, zenodo_url(base_url), record_id), only)
        dest.mkdir(parents=True, exist_ok=True)  # once the record is listed: an unreachable server leaves nothing
        for file in files:
            path = dest / file.key
            if is_verified(path, file):
                logger.info("%s: already downloaded and verified", path)
                continue
            _marker(path).unlink(missing_ok=True)
            path.unlink(missing_ok=True)
            with tqdm(desc=file.key, unit="B", unit_scale=True, disable=None if progress else True) as bar:
                _fetch(session, file, path, retries, backoff, bar)
    return [dest / file.key for file in files]
