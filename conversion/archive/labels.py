"""Parse label files: one `<image name> <CLASS>` per line, whitespace-separated; the authors' classes."""

import re
from collections import Counter
from dataclasses import dataclass

from ..errors import LabelFileError
from ..facts import AUTHORS_ALLOWED_CODES, AUTHORS_MIN_CLASS_SIZE

_CODE = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class Label:
    code: str
    where: str  # `file:line`, for messages


def parse_labels(files: list[tuple[str, str]]) -> dict[str, Label]:
    """Labels by image name, in file order, from (text, where) of each label file; blank lines
    skipped, CRLF accepted. Any code of three capital letters is kept as written. A file without a
    label is an error."""
    labels: dict[str, Label] = {}
    for text, where in files:
        found = len(labels)
        for number, line in enumerate(text.splitlines(), 1):
            if fields := line.split():
                _add_label(labels, fields, line, f"{where}:{number}")
        if len(labels) == found:
            raise LabelFileError(f"{where}: holds no labels; a label file has one '<image name> <CLASS>' per line")
    return labels


def _add_label(labels: dict[str, Label], fields: list[str], line: str, at: str) -> None:
    if len(fields) != 2:
        raise LabelFileError(f"{at}: expected '<image name> <CLASS>', found {line.strip()!r}")
    name, code = fields
    if not _CODE.fullmatch(code):
        raise LabelFileError(f"{at}: class {code!r} is not a class code (three capital letters, e.g. LYT)")
    if name in labels:
        raise LabelFileError(f"{at}: image {name!r} is labelled again (first at {labels[name].where})")
    labels[name] = Label(code, at)


def authors_classes(labels: dict[str, Label]) -> tuple[str, ...]:
    """The authors' classes, sorted (their label ids): codes of their allow-list with at least
    AUTHORS_MIN_CLASS_SIZE lines in the label file."""
    lines_per_code = Counter(label.code for label in labels.values())
    return tuple(
        sorted(
            code
            for code, lines in lines_per_code.items()
            if code in AUTHORS_ALLOWED_CODES and lines >= AUTHORS_MIN_CLASS_SIZE
        )
    )
