"""Rebuild the spreadsheets in this directory: ``.venv/bin/python tests/exchange/files/make_files.py``.

Each file is a small person import that is wrong in one way (see README.md).
The output is byte for byte the same on every run: workbook timestamps and
zip member dates are fixed, and the "random" junk comes from a seeded
generator. Rebuild only when a file has to change, and commit the outputs.
"""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Border, PatternFill, Side

from ybss.lib.idcard import check_char

HERE = Path(__file__).resolve().parent
FIXED_TIME = (2024, 1, 1, 0, 0, 0)

HEADER = [
    "姓名",
    "证件类型",
    "证件号码",
    "性别",
    "出生日期",
    "国籍",
    "户籍地区划代码",
    "户籍地详址",
    "联系电话",
    "工作单位或学校",
    "居住地址",
    "居住类型",
    "与户主关系",
    "居住事由",
    "起居日期",
    "居住证号",
    "居住证有效期至",
]
ID_COLUMN = HEADER.index("证件号码")
BIRTH_COLUMN = HEADER.index("出生日期")
SINCE_COLUMN = HEADER.index("起居日期")
PHONE_COLUMN = HEADER.index("联系电话")
NAME_COLUMN = HEADER.index("姓名")
ADDRESS = "河北省张家口市涿鹿县涿鹿镇鼓楼社区幸福路1号1栋1单元{room}"
REGISTERED = "河北省张家口市涿鹿县涿鹿镇鼓楼街{door}号"


def id_number(birth: date, sequence: str) -> str:
    first17 = f"130731{birth:%Y%m%d}{sequence}"
    return first17 + check_char(first17)


def person(
    name: str,
    birth: date,
    sequence: str,
    *,
    phone: str,
    room: str,
    kind: str = "自有住房",
    relation: str = "户主",
    reason: str = "",
    since: date = date(2020, 5, 1),
    work: str = "",
) -> list[object]:
    sex = "男" if int(sequence[-1]) % 2 else "女"
    return [
        name,
        "居民身份证",
        id_number(birth, sequence),
        sex,
        birth,
        "中国",
        "130731",
        REGISTERED.format(door=room[0]),
        phone,
        work,
        ADDRESS.format(room=room),
        kind,
        relation,
        reason,
        since,
        "",
        "",
    ]


PEOPLE = [
    person("张伟", date(1990, 1, 1), "123", phone="13800138001", room="101", work="涿鹿县第一中学"),
    person("李娜", date(1985, 6, 15), "246", phone="13800138002", room="101", relation="配偶"),
    person("王芳", date(1972, 11, 30), "068", phone="13800138003", room="102"),
    person("刘洋", date(2001, 3, 8), "017", phone="13800138004", room="201"),
    person(
        "陈静",
        date(1995, 9, 21),
        "322",
        phone="13800138005",
        room="202",
        kind="租住",
        reason="务工",
        since=date(2023, 3, 1),
        work="涿鹿县示范商贸有限公司",
    ),
]


def as_csv_value(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv(name: str, rows: Sequence[Sequence[object]], *, encoding: str = "utf-8") -> None:
    buffer = io.StringIO()
    # Excel writes CRLF line ends; so do these files.
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([as_csv_value(v) for v in row])
    (HERE / name).write_bytes(buffer.getvalue().encode(encoding))


def new_workbook(rows: Sequence[Sequence[object]]) -> Workbook:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "人员"
    for row in rows:
        ws.append(list(row))
    return wb


def workbook_bytes(wb: Workbook) -> dict[str, bytes]:
    raw = io.BytesIO()
    wb.save(raw)
    with zipfile.ZipFile(raw) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    # openpyxl stamps the time of saving; a fixed one keeps rebuilt files identical.
    members["docProps/core.xml"] = re.sub(
        rb"(<dcterms:(created|modified)[^>]*>)[^<]*",
        rb"\g<1>2024-01-01T00:00:00Z",
        members["docProps/core.xml"],
    )
    return members


def write_zip(
    name: str, members: dict[str, bytes], *, big: dict[str, Callable[[], bytes]] | None = None
) -> None:
    with zipfile.ZipFile(HERE / name, "w") as archive:
        for member, data in members.items():
            info = zipfile.ZipInfo(member, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            if big and member in big:
                with archive.open(info, "w") as out:
                    for chunk in iter(big[member], b""):
                        out.write(chunk)
            else:
                archive.writestr(info, data, compresslevel=9)


def write_xlsx(name: str, wb: Workbook) -> None:
    write_zip(name, workbook_bytes(wb))


def with_header(rows: Sequence[Sequence[object]]) -> list[Sequence[object]]:
    return [HEADER, *rows]


def replaced(row: Sequence[object], column: int, value: object) -> list[object]:
    copy = list(row)
    copy[column] = value
    return copy


def good() -> None:
    write_csv("good.csv", with_header(PEOPLE))
    wb = new_workbook(with_header(PEOPLE))
    ws = wb.active
    assert ws is not None
    # As in the import template: ID numbers and phones in text-formatted columns.
    for cells in ws.iter_rows(min_row=2):
        cells[ID_COLUMN].number_format = "@"
        cells[PHONE_COLUMN].number_format = "@"
    write_xlsx("good.xlsx", wb)


def encodings() -> None:
    write_csv("gbk.csv", with_header(PEOPLE[:3]), encoding="gbk")
    write_csv("utf8_bom.csv", with_header(PEOPLE[:3]), encoding="utf-8-sig")


def excel_damage() -> None:
    # 张伟's number as Excel keeps it once typed into a number cell: 15 digits.
    sci_float = float(id_number(date(1990, 1, 1), "123")[:15] + "000")
    rows = [
        replaced(PEOPLE[0], ID_COLUMN, sci_float),
        replaced(PEOPLE[1], ID_COLUMN, "1.30731E+17"),
        PEOPLE[2],
    ]
    write_xlsx("scientific.xlsx", new_workbook(with_header(rows)))
    rows = [replaced(PEOPLE[0], ID_COLUMN, 130731199001011000), PEOPLE[1]]
    members = workbook_bytes(new_workbook(with_header(rows)))
    # openpyxl writes every number as %.16g; other programs write an integer
    # as its digits, which is the form this file is meant to have.
    sheet = members["xl/worksheets/sheet1.xml"]
    members["xl/worksheets/sheet1.xml"] = sheet.replace(b">1.30731199001011e+17<", b">130731199001011000<")
    assert members["xl/worksheets/sheet1.xml"] != sheet
    write_zip("truncated.xlsx", members)


def merged_header() -> None:
    last = HEADER.index("国籍") + 1
    rows: list[Sequence[object]] = [
        ["涿鹿县实有人口导入表"],
        ["基本信息", *([None] * (last - 1)), "居住信息"],
        HEADER,
        *PEOPLE[:3],
    ]
    wb = new_workbook(rows)
    ws = wb.active
    assert ws is not None
    width = len(HEADER)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=last)
    ws.merge_cells(start_row=2, start_column=last + 1, end_row=2, end_column=width)
    write_xlsx("merged_header.xlsx", wb)


def formulas() -> None:
    hyperlink = '=HYPERLINK("http://x","点我")'
    rows = [
        replaced(PEOPLE[0], NAME_COLUMN, hyperlink),
        replaced(PEOPLE[1], PHONE_COLUMN, "=1+1"),
        replaced(PEOPLE[2], PHONE_COLUMN, "+8613800138003"),
    ]
    write_xlsx("formulas.xlsx", new_workbook(with_header(rows)))
    csv_rows = [*rows, replaced(PEOPLE[3], PHONE_COLUMN, "=cmd|' /C calc'!A0")]
    write_csv("formulas.csv", with_header(csv_rows))


def zip_bomb() -> None:
    members = workbook_bytes(new_workbook(with_header(PEOPLE[:1])))
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    # Whitespace between elements is valid XML, so the sheet is a real one
    # and only the size check can stop it: 200 MB that deflate to ~200 KB.
    head, tail = sheet.split("</sheetData>")
    parts = [head.encode()]
    block = b" " * (1 << 20)
    parts += [block] * 200
    parts.append(("</sheetData>" + tail).encode())
    pieces = iter(parts)
    write_zip("zip_bomb.xlsx", members, big={"xl/worksheets/sheet1.xml": lambda: next(pieces, b"")})


def macro() -> None:
    members = workbook_bytes(new_workbook(with_header(PEOPLE[:3])))
    members["[Content_Types].xml"] = (
        members["[Content_Types].xml"]
        .replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        )
        .replace(
            b"<Default ",
            b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Default ',
            1,
        )
    )
    members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject"'
        b' Target="vbaProject.bin"/></Relationships>',
    )
    members["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"dummy VBA project" * 32
    write_zip("macro.xlsm", members)


def compound_files() -> None:
    # Only the magic number and the stream names matter to the sniffing.
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    directory = "Root Entry".encode("utf-16-le").ljust(128, b"\x00")
    encrypted = directory + "EncryptionInfo".encode("utf-16-le").ljust(128, b"\x00")
    encrypted += "EncryptedPackage".encode("utf-16-le").ljust(128, b"\x00")
    (HERE / "encrypted.xlsx").write_bytes(header + encrypted.ljust(1024, b"\x00"))
    legacy = directory + "Workbook".encode("utf-16-le").ljust(128, b"\x00")
    (HERE / "legacy.xls").write_bytes(header + legacy.ljust(1024, b"\x00"))


def empties() -> None:
    (HERE / "empty.csv").write_bytes(b"")
    write_csv("header_only.csv", [HEADER])
    write_xlsx("header_only.xlsx", new_workbook([HEADER]))
    rng = random.Random(20240101)
    (HERE / "junk.csv").write_bytes(bytes(rng.randrange(256) for _ in range(1024)))


def columns_and_rows() -> None:
    name, number = HEADER.index("姓名"), HEADER.index("证件号码")

    def swap(row: Sequence[object]) -> list[object]:
        copy = list(row)
        copy[name], copy[number] = copy[number], copy[name]
        return copy

    write_csv("swapped.csv", [swap(row) for row in with_header(PEOPLE[:3])])
    write_csv("duplicate_rows.csv", with_header([PEOPLE[0], PEOPLE[2], PEOPLE[3], PEOPLE[2]]))


def identifiers() -> None:
    old = person("赵刚", date(1988, 5, 2), "457", phone="13800138006", room="301")
    old[ID_COLUMN] = "130731880502457"
    write_csv("id15.csv", with_header([old]))
    number = str(PEOPLE[3][ID_COLUMN])
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    write_csv("bad_check_digit.csv", with_header([PEOPLE[0], replaced(PEOPLE[3], ID_COLUMN, wrong)]))


def excel_serial(day: date) -> int:
    return (day - date(1899, 12, 30)).days


def serial_dates() -> None:
    rows = []
    for row in PEOPLE[:3]:
        birth, since = row[BIRTH_COLUMN], row[SINCE_COLUMN]
        assert isinstance(birth, date) and isinstance(since, date)
        rows.append(
            replaced(replaced(row, BIRTH_COLUMN, excel_serial(birth)), SINCE_COLUMN, excel_serial(since))
        )
    assert rows[0][BIRTH_COLUMN] == 32874  # 1990-01-01
    write_xlsx("serial_dates.xlsx", new_workbook(with_header(rows)))


def trailing_empty() -> None:
    wb = new_workbook(with_header(PEOPLE[:3]))
    ws = wb.active
    assert ws is not None
    # What a user leaves behind after selecting whole rows and giving them a
    # border and fill: cells with a style and no value.
    thin = Side(style="thin")
    fill = PatternFill("solid", fgColor="FFF2CC")
    for row in range(5, 55):
        for column in range(1, len(HEADER) + 1):
            cell = ws.cell(row=row, column=column)
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            cell.fill = fill
    write_xlsx("trailing_empty.xlsx", wb)


def main() -> None:
    good()
    encodings()
    excel_damage()
    merged_header()
    formulas()
    zip_bomb()
    macro()
    compound_files()
    empties()
    columns_and_rows()
    identifiers()
    serial_dates()
    trailing_empty()


if __name__ == "__main__":
    main()
