"""The package's dataset card: YAML metadata (configs, dataset_info, license, tasks) and prose, rendered from the
Markdown templates in `templates/` with every count taken from the converted data.

`card.md` is the card, rendered by `huggingface_hub.DatasetCard.from_template`; each config's section is its
registry entry's template (`ConfigSpec.card_section`), rendered first with its values (`ConfigSpec.card_facts`)
and its columns in feature order.
"""

from pathlib import Path

import datasets
import jinja2
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard, DatasetCardData

from ..facts import (
    BAYER_PATTERN,
    CAMERA,
    CAR_THRESHOLD,
    CITATION,
    DEMOSAICING,
    DENOISING,
    HOMEPAGE,
    INTENSITIES,
    LICENSE,
    LIMITATIONS,
    PROCESSED_VIEWS,
    SELECTION_SEED,
    SHARPENING,
    SPLITS,
    ZENODO_DOI,
)
from .card_sections import table
from .configs import CONFIGS, ConfigIndex, ConfigSpec
from .figures import FIGURES
from .files import CARD_FILE
from .hub_id import DEFAULT_HUB_ID

TEMPLATES = Path(__file__).parent / "templates"
_SECTIONS = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined, keep_trailing_newline=True
)
# Facts the templates show, besides each card's own values.
_FACTS = {
    "intensities": [f"{i:.2f}" for i in INTENSITIES],
    "views": PROCESSED_VIEWS,
    "car_threshold": CAR_THRESHOLD,
    "selection_seed": SELECTION_SEED,
}


def _size_category(rows: int) -> str:
    for limit, name in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
    ):
        if rows < limit:
            return name
    return "1M<n<10M"


def card_data(infos: dict[str, datasets.DatasetInfo]) -> DatasetCardData:
    rows = sum(split.num_examples for info in infos.values() for split in info.splits.values())
    data = DatasetCardData(
        license=LICENSE,
        pretty_name="Lens2Logit",
        task_categories=["image-classification", "image-segmentation"],
        tags=["raw-images", "bayer", "microscopy", "drone", "dataset-drift", "image-processing"],
        size_categories=[_size_category(rows)],
        camera=CAMERA,
    )
    configs = {
        name: {
            "data_files": [{"split": split, "path": f"{name}/{split}/*.parquet"} for split in SPLITS],
            **({"default": True} if CONFIGS[name].default else {}),
        }
        for name in infos
    }
    MetadataConfigs(configs).to_dataset_card_data(data)
    DatasetInfosDict(infos).to_dataset_card_data(data)
    return data


def columns_table(spec: ConfigSpec, features: datasets.Features) -> str:
    """The config's columns in feature order, with their meaning; columns described together share a row."""
    entries = {column: key for key in spec.columns for column in key.split(", ")}
    rows = []
    for column in features:
        key = entries[column]
        if column == key.split(", ")[0]:
            rows.append([f"`{key}`", spec.columns[key]])
    return table(["column", "meaning"], rows)


def _section(name: str, info: datasets.DatasetInfo, index: ConfigIndex, facts: dict) -> str:
    spec = CONFIGS[name]
    values = {
        **_FACTS,
        "name": name,
        "description": spec.description,
        "default": spec.default,
        "columns": columns_table(spec, info.features),
        **facts,
    }
    return _SECTIONS.get_template(spec.card_section).render(values)


def _usage_configs(names: list[str]) -> tuple[str, str]:
    """The configs the usage snippets load (they filter raw rows by `view`), and the one they stream: the
    default config if present, else the first with views; streamed, one that is not the default (tiles
    stream faster than microscopy's views)."""
    with_views = [name for name in names if CONFIGS[name].has_views] or names
    main = next((name for name in with_views if CONFIGS[name].default), with_views[0])
    stream = next((name for name in with_views if not CONFIGS[name].default), main)
    return main, stream


def render_card(
    infos: dict[str, datasets.DatasetInfo],
    indexes: dict[str, ConfigIndex],
    hub_id: str = DEFAULT_HUB_ID,
    figures: list[str] = (),
    unread: list[str] = (),
) -> DatasetCard:
    """The card of a package with `infos` and `indexes` (by config), its `figures` in `assets/`, and the parts of
    the archive that no config reads (`unread`)."""
    facts = {name: CONFIGS[name].card_facts(infos[name], index) for name, index in indexes.items()}
    main, stream = _usage_configs(list(indexes))
    parameters = [
        *((f"{dataset} black level (RGGB)", camera["black_level"]) for dataset, camera in CAMERA.items()),
        *((f"{dataset} white balance (RGB)", camera["white_balance"]) for dataset, camera in CAMERA.items()),
        *((f"{dataset} colour matrix (3x3, row-major)", camera["colour_matrix"]) for dataset, camera in CAMERA.items()),
    ]
    return DatasetCard.from_template(
        card_data(infos),
        template_path=str(TEMPLATES / "card.md"),
        **_FACTS,
        zenodo_doi=ZENODO_DOI,
        homepage=HOMEPAGE,
        bayer_pattern=BAYER_PATTERN,
        demosaicing=DEMOSAICING,
        sharpening=SHARPENING,
        denoising=DENOISING,
        figures=[(name, FIGURES[name]) for name in figures],
        sections="\n".join(_section(name, infos[name], index, facts[name]) for name, index in indexes.items()),
        sensors=[(dataset, camera["sensor"]) for dataset, camera in CAMERA.items()],
        camera_table=table(["parameter", "value"], [[name, f"`{', '.join(map(str, v))}`"] for name, v in parameters]),
        hub_id=hub_id,
        main=main,
        stream=stream,
        engines=isinstance(infos[main].features["raw"], datasets.Array2D),
        configs=", ".join(f"`{name}`" for name in indexes),
        limitations=[
            *LIMITATIONS,
            *(line for name in indexes for line in facts[name].get("limitations", [])),
            *(
                [f"Not converted: {', '.join(f'`{part}`' for part in unread)} (in the archive, but read by no config)."]
                if unread
                else []
            ),
        ],
        citation=CITATION,
    )


def write_card(
    out: Path,
    infos: dict[str, datasets.DatasetInfo],
    indexes: dict[str, ConfigIndex],
    hub_id: str = DEFAULT_HUB_ID,
    figures: list[str] = (),
    unread: list[str] = (),
) -> None:
    """Write the card (see `render_card`) into the package folder `out`."""
    (out / CARD_FILE).write_text(str(render_card(infos, indexes, hub_id, figures, unread)), encoding="utf-8")
