"""The package's `croissant.json`: Croissant 1.1 metadata of every column of every config, which the Hub's generated
Croissant lacks (it skips `Array2D` columns and gives class ids without their names).

The shards are found as the Hub's own Croissant finds them: a FileSet per config, contained in the dataset's git
repository (`--hub-id`), so the file read from the Hub works as it is; a local copy maps the repository to its folder:
`mlcroissant.Dataset("PACKAGE/croissant.json", mapping={"repo": "PACKAGE"})`. Everything in it comes from the
configs' features and the facts, so it is the same for the same package.
"""

import json
from pathlib import Path

import datasets

from ..facts import (
    CAMERA,
    CITATION,
    DATA_BIASES,
    DATA_VERSION,
    DATE_PUBLISHED,
    HOMEPAGE,
    LIMITATIONS,
    ZENODO_DOI,
)
from ..output import write_text_atomically
from .files import CROISSANT_FILE

HUB_DATASETS = "https://huggingface.co/datasets/"
REPO = "repo"  # the @id of the git repository the shards are in
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
# mlcroissant 1.1's context, with the RAI namespace.
CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
_SPLIT_TYPES = {"train": "cr:TrainingSplit", "validation": "cr:ValidationSplit", "test": "cr:TestSplit"}
_SCALARS = {"string": "sc:Text", "bool": "sc:Boolean", "float32": "sc:Float", "float64": "sc:Float"}


def croissant(infos: dict[str, datasets.DatasetInfo], hub_id: str) -> dict:
    """The Croissant of a package with `infos` (by config), published as the Hub dataset `hub_id`."""
    url = f"{HUB_DATASETS}{hub_id}"
    repository = {
        "@type": "cr:FileObject",
        "@id": REPO,
        "name": REPO,
        "description": f"The dataset's git repository; for a local copy, map `{REPO}` to the package folder.",
        "contentUrl": url,
        "encodingFormat": "git+https",
        "sha256": "https://github.com/mlcommons/croissant/issues/80",  # a repository has no checksum
    }
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": "http://mlcommons.org/croissant/1.1",
        "name": "lens2logit",
        "description": (
            "Raw 16-bit RGGB Bayer sensor data at seven intensities plus twelve processed RGB views of the same "
            "images, for studying dataset drift caused by camera hardware and image processing: Raw-Microscopy "
            "(blood smear leukocytes) and Raw-Drone (aerial images with car masks)."
        ),
        "url": url,
        "sameAs": [f"https://doi.org/{ZENODO_DOI}", HOMEPAGE],
        "license": LICENSE_URL,
        "version": DATA_VERSION,
        "datePublished": DATE_PUBLISHED,
        "citeAs": CITATION,
        "keywords": ["raw images", "Bayer", "microscopy", "drone", "dataset drift", "image processing"],
        "rai:dataCollection": " ".join(f"{dataset}: {camera['sensor']}." for dataset, camera in CAMERA.items()),
        "rai:dataBiases": list(DATA_BIASES),
        "rai:dataLimitations": list(LIMITATIONS),
        "distribution": [repository, *(_file_set(name) for name in sorted(infos))],
        "recordSet": [record_set for name in sorted(infos) for record_set in _record_sets(name, infos[name])],
    }


def write_croissant(package: Path, infos: dict[str, datasets.DatasetInfo], hub_id: str) -> None:
    text = json.dumps(croissant(infos, hub_id), indent=2, ensure_ascii=False)
    write_text_atomically(package / CROISSANT_FILE, text + "\n")


def croissant_problems(package: Path, infos: dict[str, datasets.DatasetInfo]) -> list[str]:
    """What is wrong with the package's croissant.json: missing, not JSON, or not the one `convert` writes for the
    configs and features in `infos`."""
    path = Path(package) / CROISSANT_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{path}: not readable as JSON ({exc}); convert the archive again"]
    hub_id = str(document.get("url", "")).removeprefix(HUB_DATASETS)
    expected = croissant(infos, hub_id)
    if differing := [key for key in expected.keys() | document.keys() if document.get(key) != expected.get(key)]:
        return [
            f"{path}: {', '.join(sorted(differing))} differ from the package's configs and features; "
            "convert the archive again"
        ]
    return []


def _file_set(config: str) -> dict:
    return {
        "@type": "cr:FileSet",
        "@id": f"{config}-parquet",
        "name": f"{config}-parquet",
        "description": f"The Parquet shards of the `{config}` config, every split.",
        "containedIn": {"@id": REPO},
        "encodingFormat": "application/x-parquet",
        "includes": f"{config}/*/*.parquet",
    }


def _record_sets(config: str, info: datasets.DatasetInfo) -> list[dict]:
    """The config's splits, an enumeration per class column, and its rows: a field per column, in feature order."""
    splits = _enumeration(
        f"{config}_splits", "cr:Split", [(name, _SPLIT_TYPES[name]) for name in info.splits], ("sc:Text", "sc:URL")
    )
    classes = [
        _enumeration(f"{config}_{column}_names", "sc:Enumeration", list(enumerate(feature.names)))
        for column, feature in info.features.items()
        if isinstance(feature, datasets.ClassLabel)
    ]
    split_field = {
        **_named(f"{config}/split", "The split the row is in: the folder of its shard."),
        "dataType": "sc:Text",
        "source": {
            "fileSet": {"@id": f"{config}-parquet"},
            "extract": {"fileProperty": "fullpath"},
            # mlcroissant matches the path, then again the split name it joins on: the pattern takes both
            "transform": {"regex": f"^(?:{config}/)?({'|'.join(info.splits)})(?:/.+\\.parquet)?$"},
        },
        "references": {"field": {"@id": f"{config}_splits/key"}},
    }
    rows = {
        **_named(config, f"The rows of the `{config}` config."),
        "field": [split_field, *(_field(config, column, feature) for column, feature in info.features.items())],
    }
    return [splits, *classes, rows]


def _enumeration(name: str, data_type: str, rows: list[tuple], types: tuple[str, str] = ("sc:Integer", "sc:Text")):
    """A record set of `rows` (key, value) given inline."""
    key, value = f"{name}/key", f"{name}/value"
    return {
        **_named(name, f"The values of {name.replace('_', ' ')}."),
        "dataType": data_type,
        "key": {"@id": key},
        "field": [
            {**_named(key, "The value stored."), "dataType": types[0]},
            {**_named(value, "What it stands for."), "dataType": types[1]},
        ],
        "data": [{key: k, value: v} for k, v in rows],
    }


def _field(config: str, column: str, feature) -> dict:
    source = {"fileSet": {"@id": f"{config}-parquet"}, "extract": {"column": column}}
    field = _named(f"{config}/{column}", _DESCRIPTIONS.get(column, column))
    if isinstance(feature, datasets.Image):
        return {**field, "dataType": "sc:ImageObject", "source": {**source, "transform": {"jsonPath": "bytes"}}}
    if isinstance(feature, (datasets.Array2D, datasets.Array3D)):
        shape = ",".join(map(str, feature.shape))
        return {**field, "dataType": "cr:UInt16", "isArray": True, "arrayShape": shape, "source": source}
    if isinstance(feature, datasets.ClassLabel):
        reference = {"field": {"@id": f"{config}_{column}_names/key"}}
        return {**field, "dataType": "sc:Integer", "source": source, "references": reference}
    if feature.dtype == "binary":  # drone_full's raw frames
        description = "The full RGGB Bayer mosaic as a 16-bit grayscale PNG, values as recorded."
        return {
            **field,
            "description": description,
            "dataType": "sc:ImageObject",
            "encodingFormat": "image/png",
            "source": source,
        }
    return {**field, "dataType": _SCALARS.get(feature.dtype, "sc:Integer"), "source": source}


def _named(name: str, description: str) -> dict:
    kind = "cr:Field" if "/" in name else "cr:RecordSet"
    return {"@type": kind, "@id": name, "name": name, "description": description}


_DESCRIPTIONS = {
    "image_id": "The image's file stem in the archive.",
    "preview": "A small 8-bit quick-look of the row's image.",
    "label": "The class id; -1 where the authors' loader drops the image.",
    "annotation": "The code exactly as in the label file.",
    "authors_excluded": "Whether the authors' loader drops the image.",
    "slide": "The slide number, from `lameN` in the name.",
    "zone": "The zone number, from `zoneN` in the name.",
    "label_order": "The image's 0-based place in the label file, the order of the authors' split and folds.",
    "mask": "The car mask (1-bit PNG).",
    "car_fraction": "The fraction of the mask's pixels that are car.",
    "frame_id": "The NN of the tiles cut from the full frame.",
    "frame": "The file stem of the full frame the tile is a cell of.",
    "authors_split": "The split of the authors' own code.",
    "grid_row": "The row of the 256-pixel grid cell in its frame.",
    "grid_col": "The column of the 256-pixel grid cell in its frame.",
    "view": "`raw`, or the processing pipeline of the view.",
    "intensity": "The fraction of the full exposure (1.0 for views).",
    "raw": "The RGGB Bayer mosaic, values as recorded; null on view rows.",
    "rgb": "The processed view; null on raw rows.",
}
