"""Check a converted package as the Hub and its dataset viewer will see it."""

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
from datasets.info import DatasetInfosDict
from huggingface_hub import DatasetCard
from PIL import Image

from ..errors import PackageError
from ..facts import FULL_INTENSITY, MAX_ROW_GROUP_BYTES, MAX_SHARD_BYTES, RAW_VIEW, VIEW_NAMES
from ..naming import condition_order, is_intensity_folder, parse_intensity_folder, shard_stem
from .configs import CONFIGS
from .croissant import croissant_problems
from .files import CARD_FILE, INFOS_FILE

_SHARD_NAME = re.compile(r"(\d\d)-(.+)-(\d{5})-of-(\d{5})\.parquet")  # rank, condition, number, total


@dataclass
class PackageReport:
    shards: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # "config/split" -> rows in the Parquet metadata
    previews: int = 0
    problems: list[str] = field(default_factory=list)


def _card_infos(package: Path, report: PackageReport) -> tuple[list[dict], dict[str, datasets.DatasetInfo]]:
    """The card's `configs` and `dataset_info`, read with huggingface_hub's card tools."""
    try:
        data = DatasetCard.load(package / CARD_FILE).data
    except Exception as exc:
        report.problems.append(f"{package / CARD_FILE}: card YAML does not parse: {exc}")
        return [], {}
    configs = data.get("configs") or []
    if not configs:
        report.problems.append(f"{package / CARD_FILE}: no `configs` in the YAML")
    return configs, DatasetInfosDict.from_dataset_card_data(data)


def _json_infos(package: Path, report: PackageReport) -> dict[str, datasets.DatasetInfo]:
    try:
        raw = json.loads((package / INFOS_FILE).read_text(encoding="utf-8"))
        return {name: datasets.DatasetInfo.from_dict(info) for name, info in raw.items()}
    except (ValueError, TypeError, AttributeError) as exc:
        report.problems.append(f"{package / INFOS_FILE}: not readable as dataset infos: {exc}")
        return {}


def _check_shard(shard: Path, features: datasets.Features | None, name: str, report: PackageReport) -> int:
    """Sizes, features and previews of one shard; returns its row count (0 for an unreadable shard)."""
    report.shards += 1
    if shard.stat().st_size > MAX_SHARD_BYTES:
        report.problems.append(f"{shard}: {shard.stat().st_size:,} bytes, over the {MAX_SHARD_BYTES:,} shard limit")
    try:
        parquet = pq.ParquetFile(shard)
        previews = _count_previews(parquet, shard, report)
    except (pa.ArrowException, OSError) as exc:
        report.problems.append(f"{shard}: not a readable Parquet file ({exc}); convert the archive again")
        return 0
    report.previews += previews
    for group in range(parquet.metadata.num_row_groups):
        size = parquet.metadata.row_group(group).total_byte_size
        if size > MAX_ROW_GROUP_BYTES:
            report.problems.append(
                f"{shard}: row group {group} is {size:,} bytes uncompressed, over the {MAX_ROW_GROUP_BYTES:,} limit"
            )
    found = datasets.Features.from_arrow_schema(parquet.schema_arrow)
    if features is not None and found != features:
        report.problems.append(f"{shard}: Parquet features differ from the card's features of {name}")
    if name in CONFIGS and list(found) != (order := list(CONFIGS[name].features("uint8"))):
        report.problems.append(f"{shard}: columns {list(found)} are not in the contract's order {order}")
    _check_encodings(parquet, shard, report)
    return parquet.metadata.num_rows


def _check_encodings(parquet: pq.ParquetFile, shard: Path, report: PackageReport) -> None:
    """No BYTE_STREAM_SPLIT on integer columns: DuckDB 1.5, the Hub viewer's, cannot read them."""
    metadata = parquet.metadata
    for column in range(metadata.num_columns):
        chunk = metadata.row_group(0).column(column) if metadata.num_row_groups else None
        if chunk and chunk.physical_type in ("INT32", "INT64") and "BYTE_STREAM_SPLIT" in chunk.encodings:
            report.problems.append(
                f"{shard}: integer column {chunk.path_in_schema} is BYTE_STREAM_SPLIT encoded, which DuckDB 1.5 "
                "(the Hub viewer's search and filter) cannot read; convert again with this version"
            )


def _condition_of(shard: Path) -> str | None:
    """The condition a shard's file name says it holds, None for a name that is not a shard name."""
    match = _SHARD_NAME.fullmatch(shard.name)
    name = match.group(2) if match else None
    return name if name in condition_order() and shard_stem(name) == "-".join(match.group(1, 2)) else None


def _condition_values(condition: str) -> dict[str, object]:
    """The `view` and `intensity` every row of a condition's shards has."""
    if is_intensity_folder(condition):
        return {"view": VIEW_NAMES.index(RAW_VIEW), "intensity": parse_intensity_folder(condition, condition)}
    return {"view": VIEW_NAMES.index(condition), "intensity": FULL_INTENSITY}


def _check_row_order(shards: list[Path], report: PackageReport) -> None:
    """Shard names sort in row order (raw 1.00 first, then down, then the views), each shard holds only
    its condition, and ids ascend within a condition."""
    last: tuple[int, str] | None = None
    for shard in shards:
        condition = _condition_of(shard)
        if condition is None:
            report.problems.append(f"{shard}: not named <rank>-<condition>-IIIII-of-NNNNN.parquet")
            return
        rank = condition_order().index(condition)
        try:
            names = pq.read_schema(shard).names
            table = pq.read_table(shard, columns=[c for c in ("image_id", "view", "intensity") if c in names])
        except (pa.ArrowException, OSError):
            return  # reported by _check_shard
        for column, value in _condition_values(condition).items():
            if column in table.column_names and set(table.column(column).to_pylist()) - {value}:
                report.problems.append(f"{shard}: holds rows of another condition than {condition} ({column})")
        for image_id in table.column("image_id").to_pylist():
            if last is not None and (rank, image_id) <= last:
                report.problems.append(f"{shard}: row {image_id} is out of row order, after {last[1]}")
                return
            last = (rank, image_id)


def _count_previews(parquet: pq.ParquetFile, shard: Path, report: PackageReport) -> int:
    """Decode every preview of the shard (reading the column also checks its pages); returns how many."""
    if "preview" not in parquet.schema_arrow.names:
        return 0
    count = 0
    for batch in parquet.iter_batches(columns=["preview"], batch_size=256):
        for preview in batch.column("preview").to_pylist():
            count += 1
            if preview is None or preview["bytes"] is None:
                report.problems.append(f"{shard}: a row has no preview (the Hub viewer shows it blank)")
                continue
            try:
                with Image.open(io.BytesIO(preview["bytes"])) as image:
                    image.load()
            except Exception as exc:
                report.problems.append(f"{shard}: a preview does not decode: {exc}")
    return count


def check_package(package: Path) -> PackageReport:
    """Card YAML, data_files, features, limits, previews and counts of `package`; problems are listed."""
    package = Path(package)
    report = PackageReport()
    report.problems += [f"{path}: a Python file; the Hub package holds none" for path in sorted(package.rglob("*.py"))]
    configs, card_infos = _card_infos(package, report)
    json_infos = _json_infos(package, report)
    matched: set[Path] = set()
    for config in configs:
        name = config.get("config_name", "default")
        info = card_infos.get(name)
        if info is None:
            report.problems.append(f"{package / CARD_FILE}: config {name} has no `dataset_info`")
        elif name not in json_infos or json_infos[name].features != info.features:
            report.problems.append(f"{name}: features in {INFOS_FILE} differ from the card's")
        for entry in config.get("data_files") or []:
            split, pattern = entry["split"], entry["path"]
            shards = sorted(package.glob(pattern))
            if not shards:
                report.problems.append(f"{name}/{split}: data_files pattern {pattern!r} matches no file")
            matched.update(shards)
            report.problems += [f"{name}/{split}: shard {missing} is missing" for missing in missing_shards(shards)]
            _check_row_order(shards, report)
            rows = sum(_check_shard(shard, info and info.features, name, report) for shard in shards)
            report.rows[f"{name}/{split}"] = rows
            for source, infos in ((CARD_FILE, card_infos), (INFOS_FILE, json_infos)):
                splits = infos[name].splits if name in infos and infos[name].splits else {}
                listed = splits[split].num_examples if split in splits else None
                if listed != rows:
                    absent = ", ".join(absent_conditions(shards, name))
                    named = f" (no shard of {absent})" if absent else ""
                    report.problems.append(f"{name}/{split}: {rows:,} rows in the shards{named}, {listed} in {source}")
    for shard in sorted(set(package.rglob("*.parquet")) - matched):
        report.problems.append(f"{shard}: in no config's data_files, so no reader will see it")
    report.problems += croissant_problems(package, json_infos)
    return report


def check_shards(package: Path, name: str) -> None:
    """Every shard of config `name` opens as Parquet, and each split's shards hold the rows its infos list;
    an error naming the shard, or the split and the missing shard numbers, otherwise. Reads only metadata."""
    package = Path(package)
    infos = _json_infos(package, PackageReport())
    if name not in infos or not infos[name].splits:
        raise PackageError(f"{package / INFOS_FILE}: lists no splits of config {name}; convert the archive again")
    for split, info in infos[name].splits.items():
        shards = sorted((package / name / split).glob("*.parquet"))
        rows = sum(_rows_of(shard) for shard in shards)
        if rows != info.num_examples:
            missing = ", ".join(missing_shards(shards) + absent_conditions(shards, name)) or "none by name"
            raise PackageError(
                f"{package / name / split}: {rows:,} rows in {len(shards)} shard(s), {info.num_examples:,} in "
                f"{INFOS_FILE} (shards missing: {missing}); convert the archive again, or run `lens2logit check`"
            )


def _rows_of(shard: Path) -> int:
    try:
        return pq.ParquetFile(shard).metadata.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise PackageError(f"{shard}: not a readable Parquet file ({exc}); convert the archive again") from None


def absent_conditions(shards: list[Path], name: str) -> list[str]:
    """`<rank>-<condition>-*.parquet` for each condition of config `name` that none of `shards` holds. Every
    condition is in every split of a whole archive's package; a partial one lacks some, so this names the
    shards to look for once the rows do not add up, not a problem by itself."""
    spec = CONFIGS.get(name)
    if spec is None or not shards:  # a split without any shard is reported as such, not condition by condition
        return []
    held = {match.group(2) for match in map(_SHARD_NAME.fullmatch, (shard.name for shard in shards)) if match}
    expected = [c for c in condition_order() if spec.has_views or is_intensity_folder(c)]
    return [f"{shard_stem(condition)}-*.parquet" for condition in expected if condition not in held]


def missing_shards(shards: list[Path]) -> list[str]:
    """The file names that shards numbered `-IIIII-of-NNNNN` in `shards` imply but that are not there."""
    present = {shard.name for shard in shards}
    found = set()
    for shard in shards:
        match = _SHARD_NAME.fullmatch(shard.name)
        if match:
            stem, total = "-".join(match.group(1, 2)), int(match.group(4))
            found |= {f"{stem}-{i:05d}-of-{total:05d}.parquet" for i in range(total)}
    return sorted(found - present)
