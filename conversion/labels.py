"""Parse label files: one `<image name> <CLASS>` per line, whitespace-separated."""

from dataclasses import dataclass

from conversion.errors import LabelFileError


@dataclass(frozen=True)
class Label:
    code: str
    where: str  # `file:line`, for messages


def parse_labels(
    files: list[tuple[str, str]], known_codes: tuple[str, ...], absent_codes: tuple[str, ...]
) -> dict[str, Label]:
    """Labels by image name from (text, where) of each label file; blank lines skipped, CRLF accepted."""
    labels: dict[str, Label] = {}
    lines = ((where, number, line) for text, where in files for number, line in enumerate(text.splitlines(), 1))
    for where, number, line in lines:
        fields = line.split()
        if not fields:
            continue
        at = f"{where}:{number}"
        if len(fields) != 2:
            raise LabelFileError(f"{at}: expected '<image name> <CLASS>', found {line.strip()!r}")
        name, code = fields
        if code not in known_codes:
            why = (
                "is a code of the authors' scheme absent from the published data"
                if code in absent_codes
                else "is not a known class code"
            )
            raise LabelFileError(f"{at}: class {code!r} {why}; known: {' '.join(known_codes)}")
        if name in labels:
            raise LabelFileError(f"{at}: image {name!r} is labelled again (first at {labels[name].where})")
        labels[name] = Label(code, at)
    return labels
