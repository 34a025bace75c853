"""A small Hub-compatible server on 127.0.0.1 serving one dataset repository from a local folder.

It answers only what `load_dataset` and streaming read from a dataset repository, at the one
revision it has (`main`, or its commit sha):
- `GET /api/datasets/<repo>` and `/api/datasets/<repo>/revision/<rev>`: the repository info
  (`id`, `sha`, `siblings`, `cardData`);
- `GET /api/datasets/<repo>/tree/<rev>[/<path>]`: folder listings (`recursive=true` honoured);
- `POST /api/datasets/<repo>/paths-info/<rev>`: the entries of the `paths` form fields;
- `HEAD`/`GET /datasets/<repo>/resolve/<rev>/<path>`: the file, with `ETag`, `X-Repo-Commit` and
  `Range: bytes=a-b` answered by 206; the bytes sent of each file are counted (`sent`).
And what an upload needs, for regular (base64, in-commit) files only, no LFS or Xet storage:
`POST /api/repos/create`, `POST /api/validate-yaml` (the card's YAML must parse; the Hub checks
more), `POST /api/datasets/<repo>/preupload/<rev>` (every file "regular", with
the git oid of a file already there) and `POST /api/datasets/<repo>/commit/<rev>` (NDJSON).
Everything else is 404, and every request is recorded.
"""

import base64
import hashlib
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import yaml
from local_server import LocalServer


class HubServer(LocalServer):
    def __init__(self, repo_id: str, folder: Path):
        self.repo_id = repo_id
        self.folder = Path(folder)
        self._refresh()
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Range header)
        self.sent: Counter[str] = Counter()  # the body bytes sent of each file
        self._sent_lock = threading.Lock()  # requests are answered on threads of their own
        self.committed: list[list[str]] = []  # the files of each commit received
        super().__init__(self._handler())

    def _refresh(self) -> None:
        """Re-read the folder; the commit sha follows the content."""
        self.files = {
            path.relative_to(self.folder).as_posix(): path for path in sorted(self.folder.rglob("*")) if path.is_file()
        }
        self.oids = {path: self._git_oid(file) for path, file in self.files.items()}
        listing = "\n".join(f"{path} {oid}" for path, oid in self.oids.items())
        self.sha = hashlib.sha1(listing.encode()).hexdigest()

    @staticmethod
    def _git_oid(file: Path) -> str:
        """The git blob id of a file, as the Hub reports it."""
        digest = hashlib.sha1(b"blob %d\0" % file.stat().st_size)
        with file.open("rb") as stream:
            while chunk := stream.read(2**20):
                digest.update(chunk)
        return digest.hexdigest()

    def _oid(self, path: str) -> str:
        return self.oids[path]

    def _commit(self, lines: list[dict]) -> None:
        """Apply a commit of regular (base64) files."""
        self.committed.append([line["value"]["path"] for line in lines if line["key"] == "file"])
        for line in lines:
            if line["key"] == "file":
                target = self.folder / line["value"]["path"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(base64.b64decode(line["value"]["content"]))
            elif line["key"] != "header":
                raise ValueError(f"this test server takes regular files only, got {line['key']}")
        self._refresh()

    def _entry(self, path: str) -> dict:
        if path in self.files:
            return {"type": "file", "path": path, "size": self.files[path].stat().st_size, "oid": self._oid(path)}
        return {"type": "directory", "path": path, "oid": self.sha, "size": 0}

    def _folders(self) -> set[str]:
        return {"/".join(path.split("/")[:i]) for path in self.files for i in range(1, path.count("/") + 1)}

    def _tree(self, folder: str, recursive: bool) -> list[dict]:
        prefix = f"{folder}/" if folder else ""
        paths = [p for p in sorted(self._folders() | set(self.files)) if p.startswith(prefix)]
        if not recursive:
            paths = [p for p in paths if "/" not in p[len(prefix) :]]
        return [self._entry(path) for path in paths]

    def _info(self) -> dict:
        readme = self.folder / "README.md"
        card = readme.read_text(encoding="utf-8").split("---\n")[1] if readme.is_file() else "{}"
        return {
            "id": self.repo_id,
            "_id": self.sha[:24],
            "sha": self.sha,
            "private": False,
            "gated": False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": [],
            "lastModified": "2026-01-01T00:00:00.000Z",
            "createdAt": "2026-01-01T00:00:00.000Z",
            "cardData": yaml.safe_load(card),
            "siblings": [{"rfilename": path} for path in self.files],
        }

    def _handler(self):
        server = self
        api = f"/api/datasets/{server.repo_id}"
        resolve = f"/datasets/{server.repo_id}/resolve/"
        revisions = ("main", server.sha)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _route(self, method: str) -> None:
                url = urlsplit(self.path)
                path = unquote(url.path)
                server.requests.append((method, path, self.headers.get("Range")))
                if path in (api, f"{api}/revision/main", f"{api}/revision/{server.sha}"):
                    return self._json(server._info())
                if path.startswith(f"{api}/tree/"):
                    revision, _, folder = path[len(f"{api}/tree/") :].partition("/")
                    recursive = parse_qs(url.query).get("recursive", ["false"])[0].lower() == "true"
                    if revision in revisions and (not folder or folder in server._folders()):
                        return self._json(server._tree(folder.strip("/"), recursive))
                if path.startswith(f"{api}/paths-info/") and method == "POST":
                    form = parse_qs(self._body())
                    wanted = [p.strip("/") for p in form.get("paths", [])]
                    known = server._folders() | set(server.files)
                    return self._json([server._entry(p) for p in wanted if p in known])
                if path == "/api/repos/create" and method == "POST":
                    self._body()
                    return self._json({"url": f"{server.url}/datasets/{server.repo_id}", "name": server.repo_id})
                if path == "/api/validate-yaml" and method == "POST":  # only checks that the YAML parses
                    try:
                        yaml.safe_load(json.loads(self._body())["content"].split("---\n")[1])
                    except (yaml.YAMLError, IndexError) as exc:
                        return self._send(400, json.dumps({"errors": [{"message": str(exc)}]}).encode(), "json", {})
                    return self._json({"errors": [], "warnings": []})
                if path.startswith(f"{api}/preupload/") and method == "POST":
                    wanted = json.loads(self._body())["files"]
                    modes = [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in wanted]
                    for mode in modes:
                        if mode["path"] in server.files:
                            mode["oid"] = server._oid(mode["path"])
                    return self._json({"files": modes})
                if path.startswith(f"{api}/commit/") and method == "POST":
                    server._commit([json.loads(line) for line in self._body().splitlines() if line.strip()])
                    url = f"{server.url}/datasets/{server.repo_id}/commit/{server.sha}"
                    return self._json({"commitUrl": url, "commitOid": server.sha, "success": True})
                if path.startswith(resolve):
                    revision, _, file = path[len(resolve) :].partition("/")
                    if revision in revisions and file in server.files:
                        return self._file(file, method == "HEAD")
                return self._send(404, b'{"error": "not found"}', "application/json", {"X-Error-Code": "EntryNotFound"})

            def do_GET(self) -> None:  # noqa: N802 (the names http.server calls)
                self._route("GET")

            def do_HEAD(self) -> None:  # noqa: N802
                self._route("HEAD")

            def do_POST(self) -> None:  # noqa: N802
                self._route("POST")

            def _body(self) -> str:
                return self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()

            def _json(self, value) -> None:
                self._send(200, json.dumps(value).encode(), "application/json", {})

            def _file(self, file: str, head: bool) -> None:
                size = server.files[file].stat().st_size
                headers = {"ETag": f'"{server._oid(file)}"', "X-Repo-Commit": server.sha, "Accept-Ranges": "bytes"}
                status, first, last = 200, 0, size - 1
                if self.headers.get("Range"):
                    start, _, end = self.headers["Range"].removeprefix("bytes=").partition("-")
                    status, first, last = 206, int(start or 0), min(int(end) if end else size - 1, size - 1)
                    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
                body = b""
                if not head:  # only the bytes asked for are read
                    with server.files[file].open("rb") as stream:
                        stream.seek(first)
                        body = stream.read(last - first + 1)
                    with server._sent_lock:
                        server.sent[file] += len(body)
                self._send(status, body, "application/octet-stream", headers, last - first + 1)

            def _send(self, status: int, body: bytes, kind: str, headers: dict, length: int | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body) if length is None else length))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if body and self.command != "HEAD":
                    self.wfile.write(body)

        return Handler
