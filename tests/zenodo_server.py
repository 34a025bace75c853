"""A small server on 127.0.0.1 in the shape of Zenodo's REST API, with faults to inject.

It answers only `GET /api/records/<id>` (the record JSON: `files` with `key`, `size`,
`checksum` "md5:<hex>" and `links.self`) and `GET /api/records/<id>/files/<key>/content`
(the bytes, honouring `Range: bytes=N-` with 206).
"""

import hashlib
import json
from http.server import BaseHTTPRequestHandler

from local_server import LocalServer


class ZenodoServer(LocalServer):
    def __init__(self, record_id: int, files: dict[str, bytes]):
        self.record_id = record_id
        self.files = files
        self.drop_after: dict[str, int] = {}  # key -> bytes sent before the connection drops, once
        self.statuses: dict[str, list[int]] = {}  # key -> error statuses to answer first, one per request
        self.wrong_md5: set[str] = set()
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        super().__init__(self._handler())

    def content_requests(self) -> list[tuple[str, str | None]]:
        return [(path, byte_range) for path, byte_range in self.requests if path.endswith("/content")]

    def record(self) -> dict:
        base = f"{self.url}/api/records/{self.record_id}"
        return {
            "id": self.record_id,
            "files": [
                {
                    "key": key,
                    "size": len(data),
                    "checksum": "md5:" + hashlib.md5(data + (b"x" if key in self.wrong_md5 else b"")).hexdigest(),
                    "links": {"self": f"{base}/files/{key}/content"},
                }
                for key, data in self.files.items()
            ],
        }

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
                server.requests.append((self.path, self.headers.get("Range")))
                parts = self.path.strip("/").split("/")
                if parts[:2] != ["api", "records"] or parts[2] != str(server.record_id):
                    return self.send_error(404)
                if len(parts) == 3:
                    return self._send(200, json.dumps(server.record()).encode(), "application/json")
                if len(parts) != 6 or parts[3] != "files" or parts[5] != "content" or parts[4] not in server.files:
                    return self.send_error(404)
                key = parts[4]
                if server.statuses.get(key):
                    return self.send_error(server.statuses[key].pop(0))
                data = server.files[key]
                start = int(self.headers["Range"].removeprefix("bytes=").rstrip("-")) if self.headers["Range"] else 0
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(data) - start))
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()
                drop = server.drop_after.pop(key, None)
                self.wfile.write(data[start : drop if drop is not None else len(data)])
                if drop is not None:
                    self.wfile.flush()
                    self.close_connection = True
                return None

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
