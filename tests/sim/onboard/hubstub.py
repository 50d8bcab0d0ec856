"""A stand-in for the Hugging Face hub on 127.0.0.1: the few routes huggingface_hub's
`hf_hub_download` and `snapshot_download` call, serving checkpoint folders from disk, so the
`model pull` tests run the real download code (HEAD/GET, etags, blobs, symlinks, resume)
without the internet. Loopback only, one port picked by the OS, stopped by the fixture.

Routes (as huggingface.co answers them, trimmed to what the client reads):
    GET  /api/models/OWNER/NAME/revision/REV       {"id", "sha", "siblings"}
    GET  /api/models/OWNER/NAME/tree/SHA?...       [{"type": "file", "path", "size", "oid"}]
    HEAD/GET /OWNER/NAME/resolve/REV/FILE          X-Repo-Commit, ETag, Content-Length; Range
Unknown repos answer 404 with X-Error-Code RepoNotFound, gated ones 403 GatedRepo, a missing
file 404 EntryNotFound: the headers huggingface_hub turns into its exception types.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

SHA = "0123456789abcdef0123456789abcdef01234567"  # the one commit every stub repo has
REVISION = re.compile(r"^/api/models/([^/]+/[^/]+)/revision/([^/]+)$")
TREE = re.compile(r"^/api/models/([^/]+/[^/]+)/tree/([^/]+)$")
RESOLVE = re.compile(r"^/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$")


class HubStub:
    """`repos`: repo id -> folder whose files are the repo's; `gated`: ids that answer 403.
    `requests` records (method, path) of every request, for tests that check what was
    fetched."""

    def __init__(self):
        self.repos: dict[str, Path] = {}
        self.gated: set[str] = set()
        self.requests: list[tuple[str, str]] = []
        self.ranges: list[tuple[str, str]] = []  # (path, Range header) of ranged requests
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)  # polls for shutdown every 50 ms

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "HubStub":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def fetched(self) -> list[str]:
        """Files downloaded with GET (not HEAD), in order."""
        return [RESOLVE.match(p).group(3) for m, p in self.requests
                if m == "GET" and RESOLVE.match(p)]

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_HEAD(self):
                self._answer(body=False)

            def do_GET(self):
                self._answer(body=True)

            def _send(self, status: int, payload: bytes = b"", headers: dict | None = None,
                      body: bool = True, length: int | None = None):
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload) if length is None else length))
                self.end_headers()
                if body:
                    self.wfile.write(payload)

            def _json(self, value, body):
                self._send(200, json.dumps(value).encode(), {"Content-Type": "application/json"},
                           body)

            def _error(self, status, code, body):
                self._send(status, json.dumps({"error": code}).encode(),
                           {"X-Error-Code": code, "Content-Type": "application/json"}, body)

            def _answer(self, body: bool):
                path = unquote(urlparse(self.path).path)
                stub.requests.append((self.command, path))
                if self.headers.get("Range"):
                    stub.ranges.append((path, self.headers["Range"]))
                match = REVISION.match(path) or TREE.match(path) or RESOLVE.match(path)
                if match is None:
                    return self._send(404, b"no such route", body=body)
                repo = match.group(1)
                if repo in stub.gated:
                    return self._error(403, "GatedRepo", body)
                folder = stub.repos.get(repo)
                if folder is None:
                    return self._error(404, "RepoNotFound", body)
                files = sorted(p.name for p in folder.iterdir() if p.is_file())
                if match.re is REVISION:
                    return self._json({"id": repo, "sha": SHA,
                                       "siblings": [{"rfilename": f} for f in files]}, body)
                if match.re is TREE:
                    return self._json([{"type": "file", "path": f, "size": (folder / f).stat().st_size,
                                        "oid": _git_oid(folder / f)} for f in files], body)
                name = match.group(3)
                if name not in files:
                    return self._error(404, "EntryNotFound", body)
                data = (folder / name).read_bytes()
                headers = {"X-Repo-Commit": SHA, "ETag": f'"{_git_oid(folder / name)}"',
                           "Accept-Ranges": "bytes"}
                start = _range_start(self.headers.get("Range"))
                if start:  # a resumed download asks for the rest only
                    headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
                    return self._send(206, data[start:], headers, body)
                self._send(200, data, headers, body)

        return Handler


def _git_oid(path: Path) -> str:
    """Git's blob id of a file (what the hub gives as a small file's etag)."""
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _range_start(header: str | None) -> int:
    match = re.match(r"bytes=(\d+)-", header or "")
    return int(match.group(1)) if match else 0
