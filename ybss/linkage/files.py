"""Reading linkage input (CSV in UTF-8 or GBK, Parquet) and writing results all or nothing.

Every kind of record (persons, units, addresses) is read the same way; only
the columns differ. They default to the persons' :data:`~.engine.COLUMNS`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime
import io
import os
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice, repeat
from pathlib import Path
from typing import IO, Any

from .engine import COLUMNS

# Bytes read to decide the encoding of a CSV file.
SNIFF_BYTES = 1 << 20
# Bytes decoded at a time, and records handed over at a time.
READ_CHUNK = 1 << 22
BATCH = 100_000


class LinkageInputError(Exception):
    """A problem with the input that the person running the command must fix; the message says where."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


Row = tuple[str, str, str, str, str, str, str]


def read_persons(path: str | Path, *, warn: Callable[[str], None]) -> Iterator[tuple[int, Row]]:
    """``(row number, (record_id, name, id_number, gender, birth_date, phone, address))`` per record.

    Parquet is recognized by its magic bytes, anything else is read as CSV.
    Row numbers are lines of a CSV file (the header is line 1) and 1-based row
    positions of a Parquet file. Missing optional columns read as empty, with
    a warning; a missing or empty ``record_id`` is an error.
    """
    path = Path(path)
    if _is_parquet(path):
        yield from _read_parquet(path, warn)
    else:
        yield from _read_csv(path, warn, COLUMNS)


def _is_parquet(path: Path) -> bool:
    """Whether ``path`` is Parquet (by its magic bytes); a missing input is an error."""
    if not path.exists():
        raise LinkageInputError(f"找不到输入文件：{path}")
    if not path.is_file():
        raise LinkageInputError(f"输入路径不是文件：{path}")
    with path.open("rb") as f:
        return f.read(4) == b"PAR1"


def _columns(
    header: list[str], source: str, warn: Callable[[str], None], columns: tuple[str, ...] = COLUMNS
) -> list[int]:
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    if "record_id" not in names:
        shown = "、".join(h for h in header[:10] if h) or "（空）"
        raise LinkageInputError(f"{source}缺少 record_id 列：表头为 {shown}")
    positions = []
    for column in columns:
        if column in names:
            positions.append(names.index(column))
        else:
            warn(f"{source}没有 {column} 列，按空值处理")
            positions.append(-1)
    return positions


def _detect_encoding(path: Path) -> str:
    """UTF-8 unless most lines with non-ASCII bytes in the first megabyte are not UTF-8 (then GBK).

    Counting lines rather than trying the whole sample lets a UTF-8 file with
    one broken line be reported as such, instead of being misread as GBK.
    """
    with path.open("rb") as f:
        sample = f.read(SNIFF_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8"
    lines = sample.split(b"\n")
    if len(sample) == SNIFF_BYTES:
        lines.pop()  # may end in the middle of a character
    good = bad = 0
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
        else:
            good += 1
    # GB18030 is a superset of GBK, which is what Excel writes on Chinese Windows.
    return "gb18030" if bad > good else "utf-8"


@dataclass(frozen=True)
class CsvPart:
    """A byte range of a CSV file that starts at a record boundary, for reading in another process."""

    path: str
    encoding: str
    start: int
    end: int | None
    first_line: int
    # Column positions from the header; None for the part that starts with the header.
    positions: tuple[int, ...] | None
    # The columns wanted, in the order the reader hands them over.
    columns: tuple[str, ...] = COLUMNS


def _decoded_lines(part: CsvPart, source: str) -> Iterator[str]:
    """The lines of a part, decoded a chunk at a time.

    A chunk ends at a newline, and neither UTF-8 nor GBK has a newline byte
    inside a character, so each chunk decodes on its own; one ``decode()``
    per chunk and C's line splitting (:class:`io.StringIO` splits at ``\\n``
    only, as reading the bytes would) replace a call per line. An
    undecodable byte is reported with its line.
    """
    return chain.from_iterable(map(io.StringIO, _decoded_chunks(part, source)))


def _decoded_chunks(part: CsvPart, source: str) -> Iterator[str]:
    shown = "UTF-8" if part.encoding == "utf-8" else "GBK/GB18030"
    line = part.first_line
    with open(part.path, "rb") as f:
        f.seek(part.start)
        remaining = None if part.end is None else part.end - part.start
        carry = b""
        while True:
            want = READ_CHUNK if remaining is None else min(READ_CHUNK, remaining)
            data = f.read(want) if want > 0 else b""
            if remaining is not None:
                remaining -= len(data)
            if data:
                data = carry + data
                cut = data.rfind(b"\n") + 1
                if cut == 0:  # one very long line so far
                    carry = data
                    continue
                chunk, carry = data[:cut], data[cut:]
            elif carry:
                chunk, carry = carry, b""
            else:
                return
            if line == 1 and chunk.startswith(codecs.BOM_UTF8):
                chunk = chunk[len(codecs.BOM_UTF8) :]
            try:
                text = chunk.decode(part.encoding)
            except UnicodeDecodeError as exc:
                bad = line + chunk.count(b"\n", 0, exc.start)
                raise LinkageInputError(
                    f"{source}第 {bad} 行无法按 {shown} 解码，请把整个文件保存为 UTF-8 或 GBK 编码"
                ) from None
            line += chunk.count(b"\n")
            yield text


def _read_csv(path: Path, warn: Callable[[str], None], columns: tuple[str, ...]) -> Iterator[tuple[int, Row]]:
    yield from read_part(CsvPart(str(path), _detect_encoding(path), 0, None, 1, None, columns), warn=warn)


def read_part(part: CsvPart, *, warn: Callable[[str], None]) -> Iterator[tuple[int, Row]]:
    """The records of one part of a CSV file (the whole file for the part starting at 0)."""
    for lines, columns in read_part_columns(part, warn=warn):
        yield from zip(lines, zip(*columns, strict=True), strict=True)


Columns = list[list[str]]


def read_part_columns(
    part: CsvPart, *, warn: Callable[[str], None], batch: int = BATCH
) -> Iterator[tuple[array[int], Columns]]:
    """The records of one part of a CSV file, ``batch`` at a time: their lines and the columns.

    Column by column is what :meth:`PersonTable.extend_columns` takes. The
    text is parsed a few megabytes at a time, by :func:`_plain_columns`
    when it is plain and by :func:`_parse_unit` otherwise.
    """
    source = f"输入文件 {Path(part.path).name} "
    wanted = part.columns
    width = len(wanted)
    standard = list(range(width))
    line = part.first_line - 1  # lines before the current unit
    positions = None if part.positions is None else list(part.positions)
    columns: Columns = [[] for _ in wanted]
    lines = array("i")
    for unit in _record_units(_decoded_chunks(part, source)):
        plain = _plain_columns(unit, line, width) if positions == standard else None
        if plain is not None:
            unit_columns, unit_lines = plain
        else:
            rows, unit_lines = _parse_unit(unit, line, source)
            if positions is None and rows:
                positions = _columns(rows[0], source, warn, wanted)
                del rows[0], unit_lines[0]
            if positions is None:
                unit_columns = [[] for _ in wanted]
            else:
                unit_columns, unit_lines = _to_columns(rows, unit_lines, positions)
        line += unit.count("\n")
        for column, more in zip(columns, unit_columns, strict=True):
            column += more
        lines += unit_lines
        while len(lines) >= batch:
            yield _checked(array("i", lines[:batch]), [c[:batch] for c in columns], positions, source)
            for column in columns:
                del column[:batch]
            del lines[:batch]
    if positions is None:
        raise LinkageInputError(f"{source}是空文件，第 1 行应为表头")
    if lines:
        yield _checked(lines, columns, positions, source)


def _plain_columns(text: str, before: int, width: int = len(COLUMNS)) -> tuple[Columns, array[int]] | None:
    """The ``width`` columns of text without quotes, blank lines or short rows; None for any other text.

    Then every line is a record of exactly ``width - 1`` commas, so all the
    fields in a row, one after the other, are the text split at commas and
    newlines, and column k is every ``width``-th of them from the k-th: no
    list per record.
    """
    if '"' in text or "\r" in text or "\0" in text:
        return None
    body = text[:-1] if text.endswith("\n") else text
    if not body:
        return [[] for _ in range(width)], array("i")
    records = body.count("\n") + 1
    if body.count(",") != (width - 1) * records:
        return None
    if set(map(str.count, body.split("\n"), repeat(","))) != {width - 1}:
        return None
    fields = body.replace("\n", ",").split(",")
    return [fields[k::width] for k in range(width)], array("i", range(before + 1, before + 1 + records))


def _to_columns(rows: list[list[str]], lines: array[int], positions: list[int]) -> tuple[Columns, array[int]]:
    if not all(rows):
        kept = [k for k, fields in enumerate(rows) if fields]
        rows = [rows[k] for k in kept]
        lines = array("i", [lines[k] for k in kept])
    if not rows:
        return [[] for _ in positions], lines
    if positions == list(range(len(positions))) and set(map(len, rows)) == {len(positions)}:
        return [list(column) for column in zip(*rows, strict=True)], lines
    return [[r[p] if 0 <= p < len(r) else "" for r in rows] for p in positions], lines


def _checked(
    lines: array[int], columns: Columns, positions: list[int] | None, source: str
) -> tuple[array[int], Columns]:
    """A batch, once every record has a record_id."""
    if not all(map(str.strip, columns[0])):
        k = next(k for k, rid in enumerate(columns[0]) if not rid.strip())
        rid_at = positions[0] if positions else 0
        raise LinkageInputError(f"{source}第 {lines[k]} 行的 record_id 为空（第 {rid_at + 1} 列）")
    return lines, columns


def _record_units(chunks: Iterable[str]) -> Iterator[str]:
    """The decoded chunks, joined where a quoted field goes on from one into the next.

    A newline ends a record exactly when an even number of quote characters
    comes before it (the rule :func:`split_csv` relies on), so each unit is
    whole records and can be parsed on its own.
    """
    pending: list[str] = []
    quotes = 0
    for text in chunks:
        pending.append(text)
        quotes += text.count('"')
        if quotes % 2 == 0:
            yield pending[0] if len(pending) == 1 else "".join(pending)
            pending.clear()
    if pending:
        yield "".join(pending)


def _parse_unit(text: str, before: int, source: str) -> tuple[list[list[str]], array[int]]:
    """The rows of whole records and the line each ends on (blank lines give empty rows).

    Most files have no quotes at all: then a line is a record and the
    fields are what ``str.split(",")`` gives, exactly as :mod:`csv` would
    split them, at a fraction of its cost. Anything else goes to :mod:`csv`.
    """
    if '"' not in text and "\r" in text:
        text = text.replace("\r\n", "\n")
    if '"' in text or "\r" in text or "\0" in text:
        reader = csv.reader(io.StringIO(text))
        rows: list[list[str]] = []
        lines = array("i")
        try:
            for fields in reader:
                rows.append(fields)
                lines.append(before + reader.line_num)
        except csv.Error as exc:
            raise LinkageInputError(
                f"{source}第 {before + reader.line_num} 行不是有效的 CSV：{exc}"
            ) from None
        return rows, lines
    records = text.split("\n")
    if records[-1] == "":
        records.pop()
    rows = list(map(str.split, records, repeat(",")))
    if "" in records:
        # A blank line is no record, as csv.reader reads it.
        rows = [fields if record else [] for fields, record in zip(rows, records, strict=True)]
    return rows, array("i", range(before + 1, before + 1 + len(records)))


def read_columns(
    path: str | Path, *, warn: Callable[[str], None], columns: tuple[str, ...] = COLUMNS
) -> Iterator[tuple[array[int], Columns]]:
    """:func:`read_persons` in batches of columns (see :func:`read_part_columns`)."""
    path = Path(path)
    if not _is_parquet(path):
        part = CsvPart(str(path), _detect_encoding(path), 0, None, 1, None, columns)
        yield from read_part_columns(part, warn=warn)
        return
    rows = _read_parquet(path, warn, columns)
    while True:
        chunk = list(islice(rows, BATCH))
        if not chunk:
            return
        batch = [list(column) for column in zip(*(row for _, row in chunk), strict=True)]
        yield array("i", [line for line, _ in chunk]), batch


def split_csv(path: str | Path, *, warn: Callable[[str], None], parts: int = 2) -> list[CsvPart] | None:
    """About ``parts`` pieces of a CSV file that can be read in parallel, or None (Parquet, no header).

    A newline ends a record exactly when an even number of quote characters
    comes before it (RFC 4180 doubles quotes inside fields), which is how the
    split points are chosen; neither UTF-8 nor GBK ever has a newline or a
    quote byte inside a multi-byte character. Problems with the file are left
    to the readers, which name the line. Fewer pieces come back when the
    file is too small for them.
    """
    path = Path(path)
    with path.open("rb") as f:
        if f.read(4) == b"PAR1":
            return None
    encoding = _detect_encoding(path)
    size = path.stat().st_size
    head = CsvPart(str(path), encoding, 0, None, 1, None)
    reader = csv.reader(_decoded_lines(head, f"输入文件 {path.name} "))
    try:
        header = next(reader)
    except (StopIteration, csv.Error, LinkageInputError):
        return None
    positions = tuple(_columns(header, f"输入文件 {path.name} ", warn))
    # (offset, line) where each piece after the first starts.
    starts: list[tuple[int, int]] = []
    quotes = newlines = done = 0
    chunk_size = 1 << 23
    with path.open("rb") as f:
        for target in (size * k // parts for k in range(1, parts)):
            while done < target:
                chunk = f.read(min(chunk_size, target - done))
                if not chunk:
                    break
                quotes += chunk.count(b'"')
                newlines += chunk.count(b"\n")
                done += len(chunk)
            split = _record_end(f, done, quotes, newlines, chunk_size)
            if split is None:
                break
            done, quotes, newlines = split
            f.seek(done)
            if newlines >= 2 and (not starts or starts[-1][0] < done) and done < size:
                starts.append((done, newlines + 1))
    if not starts:
        return None  # the header is all there is before the first split point
    ends = [offset for offset, _ in starts] + [None]
    pieces = [CsvPart(str(path), encoding, 0, ends[0], 1, None)]
    for (offset, line), end in zip(starts, ends[1:], strict=True):
        pieces.append(CsvPart(str(path), encoding, offset, end, line, positions))
    return pieces


def _record_end(
    f: IO[bytes], done: int, quotes: int, newlines: int, chunk_size: int
) -> tuple[int, int, int] | None:
    """The first record end at or after ``done`` and the counts up to it; None at the end of the file."""
    while True:
        chunk = f.read(chunk_size)
        if not chunk:
            return None
        start = 0
        while True:
            at = chunk.find(b"\n", start)
            if at < 0:
                quotes += chunk.count(b'"', start)
                done += len(chunk)
                break
            quotes += chunk.count(b'"', start, at)
            newlines += 1
            start = at + 1
            if quotes % 2 == 0:
                return done + start, quotes, newlines


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value).strip()


def _read_parquet(
    path: Path, warn: Callable[[str], None], columns: tuple[str, ...] = COLUMNS
) -> Iterator[tuple[int, Row]]:
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise LinkageInputError(
            f"输入文件 {path.name} 是 Parquet 格式，读取它需要 pyarrow：请先运行 pip install pyarrow"
        ) from None
    source = f"输入文件 {path.name} "
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises its own error types
        raise LinkageInputError(f"{source}不是可读的 Parquet 文件：{exc}") from None
    header = list(parquet.schema_arrow.names)
    positions = _columns(header, source, warn, columns)
    wanted = sorted({header[p] for p in positions if p >= 0})
    row_number = 0
    for batch in parquet.iter_batches(batch_size=65_536, columns=wanted):
        data = {name: batch.column(name).to_pylist() for name in wanted}
        values = [data[header[p]] if p >= 0 else None for p in positions]
        for k in range(batch.num_rows):
            row_number += 1
            row = tuple(_text(c[k]) if c is not None else "" for c in values)
            if not row[0]:
                raise LinkageInputError(f"{source}第 {row_number} 行数据的 record_id 为空")
            yield row_number, row  # type: ignore[misc]


class AtomicWriter:
    """Files written under temporary names next to their targets and renamed only by :meth:`commit`.

    If anything fails before that, :meth:`discard` removes the temporary files
    and the targets are left as they were: never half a result.
    """

    def __init__(self) -> None:
        self._files: list[tuple[IO[str], str, Path]] = []

    def open(self, target: str | Path) -> IO[str]:
        target = Path(target)
        directory = target.parent if str(target.parent) else Path(".")
        if not directory.is_dir():
            raise LinkageInputError(f"输出目录不存在：{directory}")
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        f = os.fdopen(fd, "w", encoding="utf-8", newline="")
        self._files.append((f, temp, target))
        return f

    def commit(self) -> None:
        for f, _, _ in self._files:
            f.close()
        for _, temp, target in self._files:
            os.replace(temp, target)
        self._files.clear()

    def discard(self) -> None:
        for f, temp, _ in self._files:
            f.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
        self._files.clear()
