"""Reading the spreadsheets people upload for a bulk import: CSV and .xlsx.

Uploaded files are whatever an office computer produced: GBK CSV from an old
Excel, UTF-8 with or without a BOM, workbooks with a title row and merged
group headers above the real header, ID numbers that Excel has already turned
into 1.30731E+17, formulas instead of values, macro workbooks, and now and then
something that is not a spreadsheet at all. This module finds out which, says
so in a sentence the uploader can act on, and otherwise streams the rows.

Nothing here imports Django: the import job, the command line and the
benchmarks all use it as is. Rows are streamed, never collected, so a file of
a million rows is read with the memory of one.

Three layers, used in this order:

* ``inspect_file`` looks at the bytes (never only at the file name) and refuses
  whole files with a ``SheetError``;
* ``iter_rows`` and ``locate_header`` turn the file into numbered rows and find
  which column holds which field;
* ``as_text``, ``as_id_number``, ``as_date`` and ``as_choice`` turn one cell into
  a value or a ``CellError``.
"""

from __future__ import annotations

import codecs
import csv
import math
import re
import warnings
import zipfile
import zlib
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import Literal, NoReturn
from xml.etree.ElementTree import ParseError

Format = Literal["csv", "xlsx"]
SheetErrorCode = Literal[
    "empty",
    "too_large",
    "encrypted",
    "xls_unsupported",
    "macro",
    "zip_bomb",
    "not_workbook",
    "unknown_format",
    "bad_encoding",
    "bad_csv",
    "no_sheet",
    "no_header",
    "duplicate_header",
]
CellErrorCode = Literal["formula", "scientific", "truncated", "bad_date", "not_allowed"]
Row = tuple[int, list[object]]

# Enough to see past a title row and decide the encoding of any real header,
# small enough to read on every upload.
SNIFF_BYTES = 64 * 1024
MAX_MEMBERS = 10_000
# A part this small cannot do harm however well it compresses, and styles or an
# almost empty sheet routinely compress better than 100:1.
_RATIO_FLOOR = 1 << 20
_MB = 1024 * 1024

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The stream an encrypted .xlsx is wrapped in; directory entry names are UTF-16LE.
_ENCRYPTED_MARKER = "EncryptedPackage".encode("utf-16-le")
_ENCRYPTED_MESSAGE = "文件设置了打开密码，无法读取。请在 Excel 中取消密码后另存为 .xlsx 再导入"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_OTHER_MAGICS = (
    (b"%PDF", "PDF 文件"),
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩包"),
)
_BLANK_BYTES = b" \t\r\n\x0b\x0c"
_UTF8_BOM = codecs.BOM_UTF8
_MACRO_SUFFIXES = (".xlsm", ".xltm")
_WORKBOOK_TYPES = (
    b"spreadsheetml.sheet.main+xml",
    b"spreadsheetml.template.main+xml",
    b"macroEnabled.main+xml",
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")

# Values that start with "=" but cannot be a formula ("=", "==== 分隔 ====",
# "= 见备注") stay text; anything Excel would evaluate, including a DDE call
# such as =cmd|' /C calc'!A0, becomes a Formula.
_CSV_FORMULA = re.compile(r"=\s*[\w$@(\"'+\-.]", re.ASCII)

_FULLWIDTH: dict[int, int] = {0xFF01 + i: 0x21 + i for i in range(94)}
_FULLWIDTH[0x3000] = 0x20
_ID_CHARS: dict[int, int] = {0xFF10 + i: ord("0") + i for i in range(10)}
_ID_CHARS.update({0xFF38: ord("X"), 0xFF58: ord("X")})
# Whitespace plus the invisible characters that come along with copy and paste.
_TRIM = " \t\r\n\x0b\x0c\xa0\u3000\u200b\u200c\u200d\u2060\ufeff"
_HEADER_MARKER = re.compile(r"^[*※]+|(?:[*※]|\((?:必填|选填)\)|【(?:必填|选填)】)+$")

# Excel shows a number of 16 or more digits like this, and "Save as CSV" writes
# what is shown; the sign of the exponent is always there, so "12E345" (which
# could be a document number) is not mistaken for it.
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d*)?[eE][+-]\d+")
_EXACT_DIGITS = 15  # what a double, and so Excel, keeps of a number

_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_EARLY_EPOCH = date(1899, 12, 31)
_EXCEL_MAX_SERIAL = 2_958_465  # 9999-12-31
_FAKE_LEAP_DAY = 60  # 1900-02-29, which Excel counts although it never existed
_DATE_SEPARATED = re.compile(
    r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]+\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?)?"
)
_DATE_CHINESE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DATE_SERIAL = re.compile(r"\d{1,5}")
_DATE_EXAMPLE = "2024-01-31"


class SheetError(Exception):
    """A file that cannot be imported at all; ``message`` is for the uploader."""

    def __init__(self, message: str, *, code: SheetErrorCode, row: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code: SheetErrorCode = code
        # The row the problem was found in, when it is tied to one.
        self.row = row


class CellError(ValueError):
    """A single value that cannot be used; ``message`` is for the uploader."""

    def __init__(self, message: str, *, code: CellErrorCode) -> None:
        super().__init__(message)
        self.message = message
        self.code: CellErrorCode = code


@dataclass(frozen=True, slots=True)
class Formula:
    """A cell holding a formula, e.g. ``=SUM(A1:A3)``, rather than a value."""

    text: str


@dataclass(frozen=True)
class HeaderMatch:
    row_number: int
    # Field key to 0-based position in the row lists of ``rest``.
    index_of: dict[str, int]
    # Header texts no field accepts, as written, in column order.
    unknown: list[str]
    # The recognised columns are not in the order of the template.
    order_differs: bool
    # The rows below the header.
    rest: Iterator[Row]


# --- whole files ------------------------------------------------------------------


def inspect_file(
    path: str | Path,
    filename: str,
    *,
    max_bytes: int,
    max_ratio: int = 100,
    max_unzipped: int = 2_000_000_000,
    max_members: int = MAX_MEMBERS,
) -> Format:
    """Say whether the upload is read as CSV or as a workbook, or refuse it.

    ``filename`` is the name the uploader's computer gave the file; it only
    matters for macro workbooks, which are refused by name as well because
    the name is what tells the uploader which file to fix.
    """
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise SheetError("文件是空的，请选择填好数据的表格文件", code="empty")
    if size > max_bytes:
        raise SheetError(
            f"文件大小为 {_megabytes(size)} MB，超过了 {_megabytes(max_bytes)} MB 的上限，"
            "请拆分成几个文件分别导入",
            code="too_large",
        )
    head = _read_head(path)
    if head.startswith(_OLE_MAGIC):
        _refuse_ole(path)
    if head.startswith(_ZIP_MAGICS):
        _check_workbook(
            path,
            filename,
            max_ratio=max_ratio,
            max_unzipped=max_unzipped,
            max_members=max_members,
        )
        return "xlsx"
    if _is_blank(path, head):
        raise SheetError("文件中只有空白，没有任何内容", code="empty")
    _check_text(head, complete=size <= len(head))
    return "csv"


def _megabytes(n: int) -> str:
    return f"{n / _MB:.1f}".removesuffix(".0")


def _refuse_ole(path: Path) -> NoReturn:
    # Office wraps an encrypted .xlsx in the same compound file format as an
    # old .xls, so only the stream name tells the two apart; where the
    # directory sits in the file is not fixed, hence the whole-file search.
    overlap = len(_ENCRYPTED_MARKER) - 1
    tail = b""
    with path.open("rb") as f:
        while chunk := f.read(_MB):
            if _ENCRYPTED_MARKER in tail + chunk:
                raise SheetError(_ENCRYPTED_MESSAGE, code="encrypted")
            tail = chunk[-overlap:]
    raise SheetError(
        "这是旧版 Excel 97-2003 工作簿（.xls），不能直接导入，请另存为 .xlsx 或 .csv", code="xls_unsupported"
    )


def _check_workbook(
    path: Path, filename: str, *, max_ratio: int, max_unzipped: int, max_members: int
) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            # The sizes checked are the ones the archive declares: Python's
            # zipfile never inflates a member past its declared size (it
            # stops there and fails the CRC), so a lying header cannot get
            # more out of the archive than these checks allowed.
            if len(infos) > max_members:
                raise _zip_bomb(f"包含 {len(infos)} 个内部文件")
            total = sum(info.file_size for info in infos)
            if total > max_unzipped:
                raise _zip_bomb(f"解压后共 {_megabytes(total)} MB")
            for info in infos:
                if info.file_size > _RATIO_FLOOR and info.file_size > max_ratio * max(info.compress_size, 1):
                    raise _zip_bomb(f"其中 {info.filename} 的压缩比超过 {max_ratio}:1")
            if any(info.flag_bits & 0x1 for info in infos):
                raise SheetError(_ENCRYPTED_MESSAGE, code="encrypted")

            names = {info.filename.lower(): info.filename for info in infos}
            content_types = b""
            if "[content_types].xml" in names:
                content_types = archive.read(names["[content_types].xml"])
            if (
                filename.lower().endswith(_MACRO_SUFFIXES)
                or "xl/vbaproject.bin" in names
                or b"macroEnabled" in content_types
            ):
                raise SheetError(
                    "文件是启用宏的工作簿（.xlsm），出于安全考虑不能导入，请另存为 .xlsx（不含宏）后再导入",
                    code="macro",
                )
            if "xl/workbook.xml" in names or any(t in content_types for t in _WORKBOOK_TYPES):
                return
            if "xl/workbook.bin" in names:
                reason = "这是 Excel 二进制工作簿（.xlsb），不能直接导入，请另存为 .xlsx 或 .csv"
            elif "mimetype" in names and b"opendocument" in archive.read(names["mimetype"])[:200]:
                reason = "这是 OpenDocument 表格（.ods），不能直接导入，请另存为 .xlsx 或 .csv"
            else:
                reason = "文件是压缩包，但不是 Excel 工作簿，请选择 .xlsx 或 .csv 文件"
            raise SheetError(reason, code="not_workbook")
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
        raise SheetError(
            "文件已损坏，无法作为 Excel 工作簿打开，请在 Excel 中打开后重新另存为 .xlsx", code="not_workbook"
        ) from exc


def _zip_bomb(detail: str) -> SheetError:
    return SheetError(
        f"文件解压后异常庞大（{detail}），不像正常的工作簿，已拒绝读取。请在 Excel 中打开后重新另存为 .xlsx",
        code="zip_bomb",
    )


def _is_blank(path: Path, head: bytes) -> bool:
    if head.removeprefix(_UTF8_BOM).strip(_BLANK_BYTES):
        return False
    with path.open("rb") as f:
        f.seek(len(head))
        while chunk := f.read(_MB):
            if chunk.strip(_BLANK_BYTES):
                return False
    return True


def _check_text(head: bytes, *, complete: bool) -> None:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise SheetError(
            "文件是 UTF-16 编码的文本（Excel 的“Unicode 文本”），请另存为“CSV UTF-8（逗号分隔）”或 .xlsx",
            code="unknown_format",
        )
    for magic, kind in _OTHER_MAGICS:
        if head.startswith(magic):
            raise SheetError(f"文件是{kind}，不是表格，请选择 .xlsx 或 .csv 文件", code="unknown_format")
    unreadable = SheetError(
        "无法识别文件格式：既不是 Excel 工作簿（.xlsx），也不是 CSV 文本，请检查是否选错了文件",
        code="unknown_format",
    )
    if b"\x00" in head:
        raise unreadable
    decoder = codecs.getincrementaldecoder(detect_encoding(head))(errors="replace")
    text = decoder.decode(head, final=complete)
    # A stray undecodable byte in an otherwise good file is reported later
    # with its row; only a file that is mostly not text is refused here.
    if len(_CONTROL.findall(text)) * 20 > len(text):
        raise unreadable


def _read_head(path: Path) -> bytes:
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
        # A few more bytes complete a character cut at the end; otherwise an
        # ASCII chunk ending in half a GBK character would pass for UTF-8.
        if head and head[-1] >= 0x80:
            head += f.read(3)
    return head


def detect_encoding(first_bytes: bytes) -> str:
    """``utf-8-sig``, ``utf-8`` or ``gb18030`` for the leading bytes of a CSV file.

    GB18030 is the fallback because it is a superset of GBK and GB2312, which
    is what Excel on a Chinese Windows writes. A chunk may end inside a
    multibyte character; that alone does not make it "not UTF-8".
    """
    if first_bytes.startswith(_UTF8_BOM):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(first_bytes, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


# --- rows -------------------------------------------------------------------------


def iter_rows(path: str | Path, fmt: str) -> Generator[Row, None, None]:
    """Number and values of every non-empty row, as the user sees them.

    Row numbers are those shown at the left of the spreadsheet (1-based, and
    empty rows still count), so messages can point at them. Trailing empty
    cells are dropped. A cell holding a formula comes back as ``Formula``.
    CSV cells are strings (``""`` when empty); workbook cells are what the
    workbook stores: ``None``, str, int, float, bool or datetime.
    """
    if fmt == "csv":
        return _csv_rows(Path(path))
    if fmt == "xlsx":
        return _xlsx_rows(Path(path))
    raise ValueError(f"unknown sheet format {fmt!r}")


def _csv_rows(path: Path) -> Generator[Row, None, None]:
    head = _read_head(path)
    encoding = detect_encoding(head)
    first_line = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head).split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","

    number = 0
    try:
        with path.open(encoding=encoding, newline="") as f:
            # Formulas are rare and cells many: one C-level search per line
            # tells which records need their cells looked at at all.
            has_equals = False

            def lines() -> Iterator[str]:
                nonlocal has_equals
                for line in f:
                    if "=" in line:
                        has_equals = True
                    yield line

            for number, row in enumerate(csv.reader(lines(), delimiter=delimiter), 1):
                # Whitespace-only trailing cells go too, so a row of nothing
                # but separators ends up empty and is skipped.
                if not row or not row[-1] or row[-1].isspace():
                    while row and (not row[-1] or row[-1].isspace()):
                        row.pop()
                    if not row:
                        has_equals = False
                        continue
                if has_equals:
                    has_equals = False
                    yield number, _wrap_csv_formulas(row)
                else:
                    yield number, row  # type: ignore[misc]
    except UnicodeDecodeError as exc:
        bad_row = _undecodable_row(path, encoding, delimiter)
        where = f"第 {bad_row} 行" if bad_row else "文件中"
        raise SheetError(
            f"{where}含有无法识别的字符，请以 UTF-8 或 GBK 保存", code="bad_encoding", row=bad_row
        ) from exc
    except csv.Error as exc:
        raise SheetError(
            f"第 {number + 1} 行无法解析（{exc}），常见原因是单元格里有不成对的英文引号",
            code="bad_csv",
            row=number + 1,
        ) from exc


def _wrap_csv_formulas(row: list[str]) -> list[object]:
    return [Formula(cell) if cell[:1] == "=" and _CSV_FORMULA.match(cell) else cell for cell in row]


def _undecodable_row(path: Path, encoding: str, delimiter: str) -> int | None:
    # Text is decoded in blocks, so the error surfaced rows before (or after)
    # the one at fault; reading again with the bad bytes kept as lone
    # surrogates finds the record that holds them.
    try:
        with path.open(encoding=encoding, errors="surrogateescape", newline="") as f:
            for number, row in enumerate(csv.reader(f, delimiter=delimiter), 1):
                if any(_has_surrogate(cell) for cell in row):
                    return number
    except csv.Error:
        return None
    return None


def _has_surrogate(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _xlsx_rows(path: Path) -> Generator[Row, None, None]:
    # Imported here: it takes a noticeable part of a second and CSV never needs it.
    from openpyxl import load_workbook

    # A file object, not the path: openpyxl refuses paths whose suffix is not
    # .xlsx, and uploads are stored under names of their own.
    with path.open("rb") as f:
        try:
            with warnings.catch_warnings():
                # Unsupported extensions and missing default styles are
                # reported per file by openpyxl and mean nothing to the uploader.
                warnings.simplefilter("ignore")
                workbook = load_workbook(f, read_only=True, data_only=False)
        except (zipfile.BadZipFile, KeyError, ParseError, zlib.error, EOFError, ValueError, TypeError) as exc:
            raise _damaged_workbook() from exc
        try:
            sheet = next((ws for ws in workbook.worksheets if ws.sheet_state == "visible"), None)
            if sheet is None:
                raise SheetError("工作簿中没有可见的工作表", code="no_sheet")
            # The declared dimensions are often wrong in files written by other
            # programs, and openpyxl would cut every row to them.
            sheet.reset_dimensions()
            cells = sheet.iter_rows()
            # openpyxl fills in the rows missing from the file, so counting
            # what it yields gives the row numbers.
            number = 0
            while True:
                try:
                    row = next(cells)
                except StopIteration:
                    return
                except (zipfile.BadZipFile, KeyError, ParseError, zlib.error, EOFError, ValueError) as exc:
                    raise _damaged_workbook(number + 1) from exc
                number += 1
                values: list[object] = [
                    _workbook_formula(cell.value) if cell.data_type == "f" else cell.value for cell in row
                ]
                while values and _is_empty(values[-1]):
                    values.pop()
                if values:
                    yield number, values
        finally:
            workbook.close()


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and (not value or value.isspace()))


def _workbook_formula(value: object) -> Formula:
    # Array formulas come as objects holding the text; a data table has none.
    if isinstance(value, str):
        return Formula(value)
    text = getattr(value, "text", None)
    return Formula(text if isinstance(text, str) else "=TABLE()")


def _damaged_workbook(row: int | None = None) -> SheetError:
    where = f"读到第 {row} 行时出错，" if row else ""
    return SheetError(
        f"工作簿内容已损坏，{where}请在 Excel 中打开后重新另存为 .xlsx", code="not_workbook", row=row
    )


# --- header -------------------------------------------------------------------------


def normalize_header(value: object) -> str:
    """The form headers are compared in: no spaces, half-width, lower case, no 必填 marks."""
    if value is None:
        return ""
    text = value.text if isinstance(value, Formula) else str(value)
    text = "".join(text.translate(_FULLWIDTH).split()).lower()
    return _HEADER_MARKER.sub("", text)


def locate_header(
    rows: Iterable[Row],
    columns: dict[str, tuple[str, ...]],
    *,
    required: set[str],
    scan: int = 10,
) -> HeaderMatch:
    """Find the header among the first ``scan`` non-empty rows and map its columns.

    ``columns`` maps a field key to the header texts it accepts, the canonical
    Chinese header first. Title rows and merged group headers above the
    header are skipped: the header is the row that names the most fields.
    """
    accepted: dict[str, str] = {}
    for key, texts in columns.items():
        for text in texts:
            norm = normalize_header(text)
            if accepted.setdefault(norm, key) != key:
                raise ValueError(f"header {text!r} is accepted by both {accepted[norm]!r} and {key!r}")
    unknown_keys = required - columns.keys()
    if unknown_keys:
        raise ValueError(f"required keys not in columns: {sorted(unknown_keys)}")

    stream = iter(rows)
    seen: list[Row] = []
    for row in stream:
        seen.append(row)
        if len(seen) >= scan:
            break
    if not seen:
        raise SheetError("文件中没有任何数据，请填写表头和数据后再导入", code="empty")

    def score(item: tuple[int, Row]) -> tuple[bool, int, int]:
        keys = {accepted.get(normalize_header(v)) for v in item[1][1]} - {None}
        # Earlier rows win ties, hence the negated position.
        return required <= keys, len(keys), -item[0]

    position, (row_number, header) = max(enumerate(seen), key=score)
    found = {accepted[n] for v in header if (n := normalize_header(v)) in accepted}
    missing = [key for key in columns if key in required and key not in found]
    if not found:
        names = "、".join(f"“{columns[key][0]}”" for key in columns if key in required)
        raise SheetError(
            f"没有找到表头：前 {len(seen)} 行中没有一行包含{names}等列名，"
            "请使用导入模板，并把表头放在数据上方",
            code="no_header",
        )
    if missing:
        names = "、".join(f"“{columns[key][0]}”" for key in missing)
        raise SheetError(f"第 {row_number} 行的表头缺少必填列{names}", code="no_header", row=row_number)

    index_of: dict[str, int] = {}
    unknown: list[str] = []
    for index, value in enumerate(header):
        norm = normalize_header(value)
        if not norm:
            continue
        field = accepted.get(norm)
        if field is None:
            unknown.append(_header_text(value))
        elif field in index_of:
            first = index_of[field]
            raise SheetError(
                f"表头中有两列都是“{columns[field][0]}”："
                f"第 {column_letter(first)} 列“{_header_text(header[first])}”"
                f"和第 {column_letter(index)} 列“{_header_text(value)}”，请删除或改名其中一列",
                code="duplicate_header",
                row=row_number,
            )
        else:
            index_of[field] = index

    in_file = sorted(index_of, key=index_of.__getitem__)
    in_template = [key for key in columns if key in index_of]
    return HeaderMatch(
        row_number=row_number,
        index_of=index_of,
        unknown=unknown,
        order_differs=in_file != in_template,
        rest=chain(seen[position + 1 :], stream),
    )


def _header_text(value: object) -> str:
    return (value.text if isinstance(value, Formula) else str(value)).strip()


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index: 0 → A, 26 → AA."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# --- cells --------------------------------------------------------------------------


def as_text(value: object) -> str:
    """A cell as trimmed text; ``""`` for an empty cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.strip(_TRIM)
        # Exports put an apostrophe (or a tab, trimmed above) in front of long
        # numbers so that Excel keeps them as text; it is not part of the value.
        if text[:1] == "'":
            text = text[1:].strip(_TRIM)
        return text
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            # Digits even past 15, where Excel has already lost some: whether
            # that matters depends on the field (see as_id_number).
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Formula):
        shown = value.text if len(value.text) <= 40 else value.text[:40] + "…"
        raise CellError(f"单元格含有公式 {shown}，请复制后“粘贴为数值”再导入", code="formula")
    return str(value).strip(_TRIM)


def as_id_number(value: object) -> str:
    """An identity-document number as upper-case text, refusing numbers Excel has damaged.

    The check character and the rest are validated elsewhere; this only
    recognises what happened to the number on its way through Excel, which
    the uploader cannot see from the wrong digits alone.
    """
    if isinstance(value, float) and not math.isnan(value):
        if abs(value) >= 10**_EXACT_DIGITS:
            raise _scientific(_excel_general(value))
        return as_text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        digits = str(value)
        # A number cell that shows all 18 digits still kept only 15 of them.
        if len(digits) == 18 and value % 10 ** (18 - _EXACT_DIGITS) == 0:
            raise CellError(
                "证件号码超过 15 位的部分被 Excel 改成了 0，原号码已丢失，请把该列设为文本后重新填写",
                code="truncated",
            )
        return digits
    if type(value) is str and value.isascii() and value.isalnum() and (value.isdigit() or value.isupper()):
        # The usual cell, ASCII digits and capitals (an ID's final X, a passport's letters) as
        # typed: nothing to trim, translate or refuse (notation needs a sign or a point).
        return value
    text = as_text(value).translate(_ID_CHARS)
    if _SCIENTIFIC.fullmatch(text):
        raise _scientific(text)
    return text.upper()


def _scientific(shown: str) -> CellError:
    return CellError(
        f"证件号码被 Excel 转成了科学计数法（{shown}），原号码已丢失，请把该列设为文本格式后重新填写",
        code="scientific",
    )


def _excel_general(value: float) -> str:
    # The way Excel's General format shows a large number in a normal-width column.
    mantissa, exponent = f"{value:.5E}".split("E")
    return f"{mantissa.rstrip('0').rstrip('.')}E{exponent}"


def as_date(value: object) -> date | None:
    """A date from a date cell, an Excel serial number or a typed date; None if empty."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise _bad_date(as_text(value))
    if isinstance(value, int | float):
        return _from_serial(value)
    text = as_text(value).translate(_FULLWIDTH)
    if not text:
        return None
    text = re.sub(r"\s*([年月日])\s*", r"\1", text)
    if _DATE_SERIAL.fullmatch(text):
        return _from_serial(int(text))
    if m := _DATE_SEPARATED.fullmatch(text):
        parts = (m[1], m[3], m[4])
    elif m := (_DATE_CHINESE.fullmatch(text) or _DATE_COMPACT.fullmatch(text)):
        parts = (m[1], m[2], m[3])
    else:
        raise _bad_date(text)
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise CellError(f"日期不存在：{text}，请核对年月日", code="bad_date") from None


def _from_serial(serial: float) -> date:
    if math.isnan(serial) or not 1 <= serial < _EXCEL_MAX_SERIAL + 1:
        raise CellError(
            f"日期格式无法识别：{as_text(serial)} 不是有效的 Excel 日期，应为 {_DATE_EXAMPLE}",
            code="bad_date",
        )
    day = int(serial)  # the fraction is the time of day
    if day == _FAKE_LEAP_DAY:
        raise CellError("日期不存在：1900-02-29（Excel 把 1900 年误当作闰年），请核对", code="bad_date")
    # Serial 1 is 1900-01-01; from 1900-03-01 on, the fake leap day puts every
    # serial one day further from its date.
    return (_EXCEL_EPOCH if day > _FAKE_LEAP_DAY else _EXCEL_EARLY_EPOCH) + timedelta(days=day)


def _bad_date(shown: str) -> CellError:
    return CellError(f"日期格式无法识别：{shown}，应为 {_DATE_EXAMPLE}", code="bad_date")


def _fold(text: str) -> str:
    return text.translate(_FULLWIDTH).lower()


def as_choice(value: object, choices: dict[str, str]) -> str:
    """The code of a choice given as its code or its label; ``""`` if empty.

    ``choices`` maps code to label, e.g. ``{"1": "男", "2": "女"}``.
    """
    text = as_text(value)
    if not text or text in choices:
        return text
    folded = _fold(text)
    for code, label in choices.items():
        if folded in (_fold(label), _fold(code)):
            return code
    allowed = "、".join(choices.values())
    raise CellError(f"“{text}”不是可选的值，应为以下之一：{allowed}", code="not_allowed")
