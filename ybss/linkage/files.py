"""Reading person files (CSV in UTF-8 or GBK, Parquet) and writing results all or nothing."""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .engine import COLUMNS

# Bytes read to decide the encoding of a CSV file.
SNIFF_BYTES = 1 << 20


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
    if not path.exists():
        raise LinkageInputError(f"找不到输入文件：{path}")
    if not path.is_file():
        raise LinkageInputError(f"输入路径不是文件：{path}")
    with path.open("rb") as f:
        head = f.read(4)
    if head == b"PAR1":
        yield from _read_parquet(path, warn)
    else:
        yield from _read_csv(path, warn)


def _columns(header: list[str], source: str, warn: Callable[[str], None]) -> list[int]:
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    if "record_id" not in names:
        shown = "、".join(h for h in header[:10] if h) or "（空）"
        raise LinkageInputError(f"{source}缺少 record_id 列：表头为 {shown}")
    positions = []
    for column in COLUMNS:
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


def _decoded_lines(part: CsvPart, source: str) -> Iterator[str]:
    shown = "UTF-8" if part.encoding == "utf-8" else "GBK/GB18030"
    with open(part.path, "rb") as f:
        f.seek(part.start)
        position = part.start
        for number, raw in enumerate(f, start=part.first_line):
            if part.end is not None and position >= part.end:
                return
            position += len(raw)
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                yield raw.decode(part.encoding)
            except UnicodeDecodeError:
                raise LinkageInputError(
                    f"{source}第 {number} 行无法按 {shown} 解码，请把整个文件保存为 UTF-8 或 GBK 编码"
                ) from None


def _read_csv(path: Path, warn: Callable[[str], None]) -> Iterator[tuple[int, Row]]:
    yield from read_part(CsvPart(str(path), _detect_encoding(path), 0, None, 1, None), warn=warn)


def read_part(part: CsvPart, *, warn: Callable[[str], None]) -> Iterator[tuple[int, Row]]:
    """The records of one part of a CSV file (the whole file for the part starting at 0)."""
    source = f"输入文件 {Path(part.path).name} "
    reader = csv.reader(_decoded_lines(part, source))
    first = part.first_line - 1  # reader.line_num counts from the part's start
    try:
        if part.positions is None:
            try:
                header = next(reader)
            except StopIteration:
                raise LinkageInputError(f"{source}是空文件，第 1 行应为表头") from None
            positions = _columns(header, source, warn)
        else:
            positions = list(part.positions)
        rid_at = positions[0]
        standard = positions == list(range(len(COLUMNS)))
        width = len(COLUMNS)
        for fields in reader:
            if not fields:
                continue
            if standard and len(fields) == width:
                row = tuple(fields)
            else:
                row = tuple(fields[p] if 0 <= p < len(fields) else "" for p in positions)
            if not row[0].strip():
                line = first + reader.line_num
                raise LinkageInputError(f"{source}第 {line} 行的 record_id 为空（第 {rid_at + 1} 列）")
            yield first + reader.line_num, row  # type: ignore[misc]
    except csv.Error as exc:
        raise LinkageInputError(f"{source}第 {first + reader.line_num} 行不是有效的 CSV：{exc}") from None


def split_csv(path: str | Path, *, warn: Callable[[str], None]) -> tuple[CsvPart, CsvPart] | None:
    """Two halves of a CSV file that can be read in parallel, or None (Parquet, or no header).

    A newline ends a record exactly when an even number of quote characters
    comes before it (RFC 4180 doubles quotes inside fields), which is how the
    split point is chosen; neither UTF-8 nor GBK ever has a newline or a
    quote byte inside a multi-byte character. Problems with the file are left
    to the readers, which name the line.
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
    middle = size // 2
    quotes = newlines = 0
    chunk_size = 1 << 23
    with path.open("rb") as f:
        done = 0
        while done < middle:
            chunk = f.read(min(chunk_size, middle - done))
            if not chunk:
                return None
            quotes += chunk.count(b'"')
            newlines += chunk.count(b"\n")
            done += len(chunk)
        while True:
            chunk = f.read(chunk_size)
            if not chunk:
                return None
            start = 0
            while True:
                at = chunk.find(b"\n", start)
                if at < 0:
                    quotes += chunk.count(b'"', start)
                    newlines += chunk.count(b"\n", start)
                    done += len(chunk)
                    break
                quotes += chunk.count(b'"', start, at)
                newlines += 1
                start = at + 1
                if quotes % 2 == 0:
                    split = done + start
                    if newlines < 2:
                        return None  # the header is all there is before the middle
                    return (
                        CsvPart(str(path), encoding, 0, split, 1, None),
                        CsvPart(str(path), encoding, split, None, newlines + 1, positions),
                    )


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


def _read_parquet(path: Path, warn: Callable[[str], None]) -> Iterator[tuple[int, Row]]:
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
    positions = _columns(header, source, warn)
    wanted = sorted({header[p] for p in positions if p >= 0})
    row_number = 0
    for batch in parquet.iter_batches(batch_size=65_536, columns=wanted):
        data = {name: batch.column(name).to_pylist() for name in wanted}
        columns = [data[header[p]] if p >= 0 else None for p in positions]
        for k in range(batch.num_rows):
            row_number += 1
            row = tuple(_text(c[k]) if c is not None else "" for c in columns)
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
