"""Streaming the raw rows of microscopy train over a loopback link of capped bandwidth, against WebDataset.

    python benchmarks/stream_bandwidth.py [--work /tmp/lens2logit-bench] [--json benchmarks/stream_bandwidth.json]
    python benchmarks/stream_bandwidth.py --readme   # only rewrite the README's table from the JSON

The package is benchmarks/run.py's synthetic archive of 300 images (scale 0.32), converted (made under --work
when missing). A Hub-compatible server (tests/hub_server.py) serves it, another the same raw tiles as
WebDataset tar shards (`.npy` tiles, `.cls` labels: run.py's `write_webdataset`). Each child process reads
them through a TCP proxy in this process whose one token bucket, shared by all its connections, caps the
bytes sent to the client at --caps MB/s (10^6 bytes; "none": plain forwarding). For each cap, an epoch
read to its end, each in a fresh process, the best of --runs:
- ours, one process: `stream(repo, "microscopy", "train", columns=["label"])`, `pixels(...).iter(100)`,
  and `loader(pixels(..., "torch"), batch_size=100, num_workers=2)` (benchmarks/children.py's STREAM);
- WebDataset, one process and through a DataLoader with 2 workers (children.py's WEBDATASET);
- at caps none and 50, `load_dataset(..., streaming=True, columns=["label", "view", "raw"])` of the whole
  split (children.py's STREAM), as streams were loaded before `stream`.
Measured: rows/s after the first batch and over the whole epoch (from `stream`, or `load_dataset`, with
torch imported, as the WebDataset child has it), bytes a row (the bytes the proxy forwarded to the client
in the run / rows) and the proxy's peak rate over 0.5 s (that the cap holds).
"""

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the Hub-compatible test server

from children import CONVERT, STREAM, WEBDATASET  # noqa: E402
from hub_server import HubServer  # noqa: E402
from run import archive_for, raw_shards, run_child, write_webdataset  # noqa: E402
from table import write_readme_table  # noqa: E402

CHUNK = 64 << 10  # bytes the proxy reads at a time
BURST = 128 << 10  # the token bucket's depth
BIN = 0.5  # seconds: the proxy's peak rate is of this window
HUB_ENV = {"HF_HUB_OFFLINE": "0", "HF_DATASETS_OFFLINE": "0", "HF_HUB_DISABLE_TELEMETRY": "1", "HF_TOKEN": "hf_test"}
WAYS = ["ours_iter", "webdataset_iter", "ours_loader", "webdataset_loader", "whole_split_iter"]
EVERY = 10**9  # rows asked of the children: more than there are, so they read to the end
README = REPO / "README.md"
TABLE_START = "<!-- the table of benchmarks/stream_bandwidth.json -->"


class Bucket:
    """One token bucket: `rate` bytes/s on average, at most `burst` bytes at once; threads share it."""

    def __init__(self, rate: float, burst: int = BURST):
        self.rate, self.burst, self.tokens, self.last = rate, burst, float(burst), time.monotonic()
        self.lock = threading.Lock()

    def take(self, count: int) -> None:
        """Wait until `count` bytes may go (tokens go negative: the takers after it wait longer)."""
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate) - count
            self.last = now
            wait = -self.tokens / self.rate
        if wait > 0:
            time.sleep(wait)


class Proxy:
    """A TCP forwarder on 127.0.0.1 to `port`, what goes to the client capped at `mb_per_s` (None: uncapped)
    and counted (`forwarded`, and by BIN seconds in `bins`). A context manager: closes its sockets at exit."""

    def __init__(self, port: int, mb_per_s: float | None):
        self.port, self.bucket = port, Bucket(mb_per_s * 1e6) if mb_per_s else None
        self.forwarded, self.lock, self.sockets, self.threads = 0, threading.Lock(), [], []
        self.bins, self.start = Counter(), time.monotonic()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def __enter__(self):
        self._start(self._accept)
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopping.set()
        with self.lock:
            for sock in [self.listener, *self.sockets]:
                sock.close()
        for thread in self.threads:
            thread.join(timeout=5)

    def _start(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
                server = socket.create_connection(("127.0.0.1", self.port))
            except TimeoutError:
                continue
            except OSError:  # the listener closed
                return
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.sockets += [client, server]
            self._start(self._pump, client, server, False)
            self._start(self._pump, server, client, True)

    def _pump(self, source: socket.socket, target: socket.socket, to_client: bool) -> None:
        """Forward `source` to `target` until `source` ends; to the client through the bucket."""
        try:
            while chunk := source.recv(CHUNK):
                if to_client and self.bucket:
                    self.bucket.take(len(chunk))
                target.sendall(chunk)
                if to_client:
                    with self.lock:
                        self.forwarded += len(chunk)
                        self.bins[int((time.monotonic() - self.start) / BIN)] += len(chunk)
            target.shutdown(socket.SHUT_WR)
        except OSError:  # reset, or closed at exit
            pass


def child(code: str, *args: str, endpoint: str) -> dict:
    """Run `code` in a fresh interpreter against `endpoint`, with a fresh HF_HOME; its last line as JSON."""
    with tempfile.TemporaryDirectory(prefix="hf-home-") as home:
        env = {**os.environ, **HUB_ENV, "HF_ENDPOINT": endpoint, "HF_HOME": home}
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(way: str, cap: float | None, hubs: dict, tars: list[str], rows: int, runs: int) -> dict:
    """The best of `runs` runs of one way at one cap, each in a fresh process through a fresh proxy."""
    measured = []
    for _ in range(runs):
        hub = hubs["webdataset" if way.startswith("webdataset") else "package"]
        with Proxy(int(hub.url.rsplit(":", 1)[1]), cap) as proxy:
            reads = way.rsplit("_", 1)[1]
            if not way.startswith("webdataset"):  # `stream`, or the whole split loaded with `columns=`
                loading = "stream" if way.startswith("ours") else "needed"
                run = child(STREAM, "bench/lens2logit", reads, str(EVERY), loading, endpoint=proxy.url)
            else:
                urls = " ".join(f"{proxy.url}/datasets/bench/webdataset/resolve/main/{name}" for name in tars)
                run = child(WEBDATASET, urls, reads, str(EVERY), endpoint=proxy.url)
            forwarded, bins = proxy.forwarded, proxy.bins
        total = run["rows"] + run["first_rows"]
        if total != rows:
            raise RuntimeError(f"{way} at {cap} MB/s read {total} rows, not {rows}")
        epoch_seconds = run["first_row_seconds"] + run["seconds"]
        run |= {"rows_per_s": run["rows"] / run["seconds"], "epoch_rows_per_s": total / epoch_seconds}
        run |= {"bytes_per_row": forwarded / total, "peak_mb_per_s": max(bins.values()) / BIN / 1e6}
        measured.append(run)
    return max(measured, key=lambda run: run["rows_per_s"]) | {"runs": measured}


def table(measured: dict) -> str:
    """The Markdown table of the measured results (cap -> way -> measurement)."""
    results = measured["results"]
    lines = [
        "| cap | ours, 1 process | WebDataset | ratio | ours, 2 workers | WebDataset | ratio | kB a row |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for cap, ways in results.items():
        one, wds_one, two, wds_two = (ways[way] for way in WAYS[:4])
        cells = [f"{cap} MB/s" if cap != "none" else "none"]
        for ours, theirs in ((one, wds_one), (two, wds_two)):
            cells += [f"{cell['rows_per_s']:,.0f} ({cell['epoch_rows_per_s']:,.0f})" for cell in (ours, theirs)]
            ratios = [ours[key] / theirs[key] for key in ("rows_per_s", "epoch_rows_per_s")]
            cells.append("{:.2f}x ({:.2f}x)".format(*ratios))
        sizes = [ways[way]["bytes_per_row"] / 1e3 for way in (WAYS[0], WAYS[1], WAYS[4]) if way in ways]
        cells.append(" / ".join(f"{size:.0f}" for size in sizes))
        lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines)


def package_for(work: Path) -> Path:
    """The package of run.py's archive at scale 0.32 under `work`, converted when missing."""
    package = work / "package-0.32"
    if not package.is_dir():
        run_child(CONVERT, str(archive_for(work, 0.32)), str(package))
    return package


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("/tmp/lens2logit-bench"), help="archive, package, tars")
    parser.add_argument("--json", type=Path, default=REPO / "benchmarks/stream_bandwidth.json", help="the results")
    parser.add_argument("--caps", nargs="+", default=["none", "200", "50", "20"], help='MB/s caps, or "none"')
    parser.add_argument("--runs", type=int, default=2, help="runs of each way (fresh processes): the best is kept")
    parser.add_argument("--readme", action="store_true", help="only rewrite the README's table from --json")
    args = parser.parse_args()
    if not args.readme:
        package = package_for(args.work)
        shards, rows = raw_shards(package)
        tars, _ = write_webdataset(package, args.work / "webdataset-0.32", rows)
        results = {}
        with (
            HubServer("bench/lens2logit", package) as ours,
            HubServer("bench/webdataset", args.work / "webdataset-0.32") as theirs,
        ):
            hubs = {"package": ours, "webdataset": theirs}
            for cap in args.caps:
                mb_per_s = None if cap == "none" else float(cap)
                ways = WAYS if cap in ("none", "50") else WAYS[:4]  # the whole split's stream at two caps
                results[cap] = {way: measure(way, mb_per_s, hubs, tars, rows, args.runs) for way in ways}
                print(f"cap {cap}: done", file=sys.stderr, flush=True)  # noqa: T201
        versions = {name: version(name) for name in ("datasets", "pyarrow", "webdataset", "torch")}
        machine = {"machine": platform.machine(), "cores": os.cpu_count(), "python": platform.python_version()}
        settings = {"rows": rows, "raw_shards": len(shards), "runs": args.runs}
        output = {"machine": machine | versions, "settings": settings, "results": results}
        args.json.write_text(json.dumps(output, indent=2) + "\n")
    measured = json.loads(args.json.read_text())
    write_readme_table(table(measured), README, TABLE_START)
    print(f"{measured['machine']}\n\n{table(measured)}")  # noqa: T201


if __name__ == "__main__":
    main()
