"""The one error type that actions raise for bad input.

Every entry point (page, API, import, command line) turns it into its own
form of a clear message: a form error on the named field, a 400 body keyed by
field, a row/column report line, or a CommandError. Messages are Chinese
sentences written for the person who typed the value.
"""

from __future__ import annotations


class ActionError(Exception):
    def __init__(self, message: str, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    def as_dict(self) -> dict[str, list[str]]:
        return {self.field or "non_field_errors": [self.message]}
