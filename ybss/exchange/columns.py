"""What an import file's columns are: headers, whether required, allowed values.

The same description drives the downloadable templates and their notes sheet,
header recognition on upload, and the column names in the report, so the three
never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    note: str = ""
    # code -> Chinese label; a cell may hold either
    choices: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    # Kept as text in the template so Excel does not turn it into a number
    text: bool = False
    example: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


def labels(choices: Any) -> dict[str, str]:
    """A TextChoices class as code -> label, labels rendered in Chinese."""
    return {str(value): str(label) for value, label in choices.choices}


def header_spec(columns: list[Column]) -> dict[str, tuple[str, ...]]:
    return {c.key: c.names for c in columns}


def by_key(columns: list[Column]) -> dict[str, Column]:
    return {c.key: c for c in columns}
