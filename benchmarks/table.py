"""The Markdown table of `benchmarks/run.py`'s results, and its place in docs/reading.md."""

from pathlib import Path

PAGE = Path(__file__).resolve().parent.parent / "docs" / "reading.md"  # its Performance section holds the table
TABLE_START, TABLE_END = "<!-- the table of benchmarks/results.json -->", "<!-- end of the table -->"


def classification(result: dict) -> dict:
    return result["convert"]["configs"]["drone_classification"]


def rate(value: float) -> str:
    return f"{value:,.0f}"


def against(value: float, baseline: float) -> str:
    return f"{value:,.0f} ({value / baseline:.2f}x)"


def loaded(name: str, baseline: str | None = None):
    """A cell of rows/s of the load step, with its ratio to `baseline`'s when given."""

    def cell(result: dict) -> str:
        value = result["load"][f"{name}_rows_per_s"]
        return against(value, result["load"][f"{baseline}_rows_per_s"]) if baseline else rate(value)

    return cell


def streamed(way: str):
    """A cell of a stream's rows/s against the decode floor, and its first batch's seconds."""

    def cell(result: dict) -> str:
        measured, floor = result["stream"][way], result["stream"]["decode_floor_rows_per_s"]
        return f"{against(measured['rows_per_s'], floor)}, {measured['first_seconds']:.2f} s"

    return cell


def over_http(way: str, variant: str = ""):
    """A cell of rows/s over HTTP, the package's (`variant`: "" or "_prefetch") and WebDataset's, and their ratio."""

    def cell(result: dict) -> str:
        keys = (f"http_{way}{variant}", f"webdataset_{way}")
        ours, theirs = (result["stream"][key]["rows_per_s"] for key in keys)
        return f"{rate(ours)} / {rate(theirs)} ({ours / theirs:.2f}x)"

    return cell


def table(results: list[dict]) -> str:
    """The results as a Markdown table: a row a measure, a column a scale; ratios against each row's baseline."""
    sizes = "{package:,.0f} / {webdataset:,.0f}"
    rows = [
        ("archive MiB", lambda r: f"{r['archive_mib']:,.0f}"),
        ("package / archive bytes", lambda r: f"{r['package_mib'] / r['archive_mib']:.2f}x"),
        ("decode-only baseline s", lambda r: f"{r['decode']['seconds']:.1f}"),
        ("convert s (MB/s)", lambda r: f"{r['convert']['seconds']:.1f} ({r['convert']['mb_per_s']:.0f})"),
        ("convert / decode-only", lambda r: f"{r['convert']['vs_decode']:.2f}x"),
        ("convert peak RSS MiB", lambda r: f"{r['convert']['peak_rss_mib']:,}"),
        ("drone_classification rows", lambda r: f"{classification(r)['rows']:,}"),
        ("drone_classification convert s", lambda r: f"{classification(r)['seconds']:.1f}"),
        ("load_dataset cold s", lambda r: f"{r['load']['cold_seconds']:.1f}"),
        ("raw rows read (microscopy train)", lambda r: f"{r['load']['raw_rows']:,}"),
        ("numpy raw rows/s (x tifffile loose)", loaded("numpy", "tifffile")),
        ("numpy raw MB/s (x memcpy)", lambda r: against(r["load"]["numpy_mb_per_s"], r["load"]["memcpy_mb_per_s"])),
        ("torch raw rows/s", loaded("torch")),
        ("loader, in process, in order rows/s", loaded("loader_sequential_0")),
        ("loader, in process, shuffled rows/s", loaded("loader_shuffled_0")),
        ("loader, 2 workers, in order rows/s (x in process)", loaded("loader_sequential_2", "loader_sequential_0")),
        ("loader, 2 workers, shuffled rows/s (x in process)", loaded("loader_shuffled_2", "loader_shuffled_0")),
        ("loose TIFFs, torch DataLoader, 2 workers rows/s", loaded("tiff_loader_2")),
        ("loader, 2 workers, in order rows/s (x loose TIFFs)", loaded("loader_sequential_2", "tiff_loader_2")),
        ("loader with pipeline=, in process rows/s", loaded("pipeline_0")),
        ("loader with pipeline=, 2 workers rows/s (x in process)", loaded("pipeline_2", "pipeline_0")),
        ("pyarrow decode floor, one thread rows/s", lambda r: rate(r["stream"]["decode_floor_rows_per_s"])),
        ("stream, pixels(...).iter(100) rows/s (x floor), first batch", streamed("iter")),
        ("stream, loader, 2 workers rows/s (x floor), first batch", streamed("loader")),
        ("stream of all columns, loader, 2 workers rows/s (x floor), first batch", streamed("loader_all_columns")),
        ("stream, plain DataLoader by row, 2 workers rows/s (x floor), first row", streamed("rows")),
        ("HTTP, one process: stream / webdataset rows/s", over_http("iter")),
        ("HTTP, 2 workers: loader / webdataset rows/s", over_http("loader")),
        ("HTTP, one process, read ahead: stream / webdataset rows/s", over_http("iter", "_prefetch")),
        ("HTTP, 2 workers, read ahead: loader / webdataset rows/s", over_http("loader", "_prefetch")),
        ("bytes a raw row: package / webdataset", lambda r: sizes.format(**r["stream"]["bytes_per_row"])),
        ("filters: one view, bytes read", lambda r: f"{r['selective_read']['one_view']:.0%}"),
        ("filters: one intensity, bytes read", lambda r: f"{r['selective_read']['one_intensity']:.0%}"),
    ]  # fmt: skip
    header = "| measure | " + " | ".join(f"scale {r['scale']}" for r in results) + " |"
    lines = [header, "|---" * (len(results) + 1) + "|"]
    lines += ["| " + name + " | " + " | ".join(cell(r) for r in results) + " |" for name, cell in rows]
    return "\n".join(lines)


def write_readme_table(markdown: str, page: Path = PAGE, start: str = TABLE_START) -> None:
    """Put `markdown` in `page` (docs/reading.md) between the markers `start` and TABLE_END."""
    text = page.read_text()
    before, rest = text.split(start + "\n", 1)
    after = rest.split(TABLE_END, 1)[1]
    page.write_text(f"{before}{start}\n{markdown}\n{TABLE_END}{after}")
