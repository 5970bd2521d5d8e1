"""The command line: ``link persons INPUT --out CLUSTERS.csv [--pairs PAIRS.csv] [--threshold T]``.

Every input record once in CLUSTERS.csv, the PAIRS.csv columns, progress on
stderr, clear errors and nothing half-written.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ybss.linkage.cli import run_persons
from ybss.linkage.files import LinkageInputError
from ybss.linkage.generate import generate

ROOT = Path(__file__).resolve().parents[2]
HEADER = "record_id,name,id_number,gender,birth_date,phone,address\n"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("linkage")
    data, truth = d / "persons.csv", d / "truth.csv"
    generate(1500, data, seed=3, truth=truth)
    return data, truth


def read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_the_engine_runs_without_django():
    code = (
        "import sys, ybss.linkage, ybss.linkage.cli, ybss.linkage.generate, ybss.linkage.__main__ as m\n"
        "import ybss.linkage.core, ybss.linkage.units, ybss.linkage.addresses\n"
        "import ybss.linkage.generate_units, ybss.linkage.generate_addresses\n"
        "bad = sorted(n for n in sys.modules if n == 'django' or n.startswith('django.'))\n"
        "print(bad)\n"
    )
    # __main__ exits with argparse's usage error when imported without arguments.
    done = subprocess.run(
        [sys.executable, "-c", code.replace(", ybss.linkage.__main__ as m", "")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert done.stdout.strip() == "[]"


def test_python_m_contract_end_to_end(generated, tmp_path):
    data, _ = generated
    out, pairs = tmp_path / "clusters.csv", tmp_path / "pairs.csv"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ybss.linkage",
            "persons",
            str(data),
            "--out",
            str(out),
            "--pairs",
            str(pairs),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "读取完成：1,500 条记录" in done.stderr  # progress goes to stderr

    clusters = read(out)
    assert clusters[0] == ["record_id", "cluster_id"]
    ids = [r[0] for r in clusters[1:]]
    expected = [r[0] for r in read(data)[1:]]
    assert ids == expected  # every input record exactly once, in input order
    cluster_ids = {r[1] for r in clusters[1:]}
    assert cluster_ids <= set(ids)
    assert len(cluster_ids) < len(ids)

    rows = read(pairs)
    assert rows[0] == ["record_id_l", "record_id_r", "score", "explanation"]
    assert len(rows) > 100
    for left, right, score, explanation in rows[1:]:
        assert left < right
        assert float(score) >= 23.0
        # The score is the sum of the contributions the explanation lists.
        weights = [float(w) for w in re.findall(r"\(([+-]?[\d.]+)\)", explanation)]
        assert len(weights) >= 6
        assert float(score) == pytest.approx(sum(weights), abs=0.05 * len(weights))
        assert explanation.startswith("id_number=") and "; name=" in explanation


def test_threshold_option(generated, tmp_path):
    data, _ = generated
    strict, loose = tmp_path / "strict.csv", tmp_path / "loose.csv"
    run_persons(str(data), str(strict), threshold=60, stderr=StringIO())
    run_persons(str(data), str(loose), threshold=23, stderr=StringIO())
    assert len({r[1] for r in read(strict)[1:]}) > len({r[1] for r in read(loose)[1:]})


def test_django_command(generated, tmp_path):
    data, _ = generated
    out = tmp_path / "clusters.csv"
    err = StringIO()
    call_command("link", "persons", str(data), "--out", str(out), "--threshold", "25", stderr=err)
    assert len(read(out)) == 1501
    assert "聚类完成" in err.getvalue()


def test_django_command_reports_input_errors(tmp_path):
    with pytest.raises(CommandError, match="找不到输入文件"):
        call_command("link", "persons", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "c.csv"))


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ybss.linkage", "persons", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_missing_file_is_a_clear_error(tmp_path):
    done = run([str(tmp_path / "nope.csv"), "--out", str(tmp_path / "c.csv")])
    assert done.returncode != 0
    assert "找不到输入文件" in done.stderr
    assert not (tmp_path / "c.csv").exists()


def test_missing_record_id_column_is_named(tmp_path):
    data = write(tmp_path / "p.csv", "id,name\n1,张三\n")
    with pytest.raises(LinkageInputError, match="缺少 record_id 列"):
        run_persons(str(data), str(tmp_path / "c.csv"), stderr=StringIO())


def test_duplicate_record_id_names_both_rows_and_writes_nothing(tmp_path):
    data = write(tmp_path / "p.csv", HEADER + "a,张三\nb,李四\nc,王五\nb,赵六\n")
    out = write(tmp_path / "c.csv", "old result\n")
    pairs = tmp_path / "pairs.csv"
    done = run([str(data), "--out", str(out), "--pairs", str(pairs)])
    assert done.returncode != 0
    assert "第 5 行" in done.stderr and "第 3 行" in done.stderr and "“b”" in done.stderr
    assert out.read_text() == "old result\n"  # untouched
    assert not pairs.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary files left


def test_empty_record_id_names_the_row(tmp_path):
    data = write(tmp_path / "p.csv", HEADER + "a,张三\n,李四\n")
    with pytest.raises(LinkageInputError, match="第 3 行的 record_id 为空"):
        run_persons(str(data), str(tmp_path / "c.csv"), stderr=StringIO())


def test_gbk_and_bom_files_are_read(tmp_path):
    text = (
        HEADER
        + "a,張偉,,男,1990-01-01,13812345678,涿鹿县人民路1号\n"
        + "b,张伟,,1,19900101,13812345678,涿鹿县人民路1号\n"
    )
    for encoding in ("gbk", "utf-8-sig", "utf-8"):
        data = write(tmp_path / f"p-{encoding}.csv", text, encoding)
        out = tmp_path / f"c-{encoding}.csv"
        run_persons(str(data), str(out), stderr=StringIO())
        assert read(out)[1:] == [["a", "a"], ["b", "a"]], encoding


def test_a_broken_line_in_utf8_is_named(tmp_path):
    good = (HEADER + "a,张三\n").encode("utf-8")
    data = tmp_path / "p.csv"
    data.write_bytes(good + b"b,\xff\xfe\n")
    with pytest.raises(LinkageInputError, match="第 3 行无法按 UTF-8 解码"):
        run_persons(str(data), str(tmp_path / "c.csv"), stderr=StringIO())


def test_missing_optional_columns_are_empty_with_a_warning(tmp_path):
    data = write(tmp_path / "p.csv", "record_id,name\na,张三\nb,张三\n")
    err = StringIO()
    run_persons(str(data), str(tmp_path / "c.csv"), stderr=err)
    assert "没有 id_number 列" in err.getvalue()
    assert len(read(tmp_path / "c.csv")) == 3


def test_output_directory_must_exist(tmp_path):
    data = write(tmp_path / "p.csv", HEADER + "a,张三\n")
    with pytest.raises(LinkageInputError, match="输出目录不存在"):
        run_persons(str(data), str(tmp_path / "no" / "c.csv"), stderr=StringIO())


def test_parquet_input(tmp_path):
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        data = tmp_path / "p.parquet"
        data.write_bytes(b"PAR1" + b"\0" * 16)
        with pytest.raises(LinkageInputError, match="pip install pyarrow"):
            run_persons(str(data), str(tmp_path / "c.csv"), stderr=StringIO())
        return
    data = tmp_path / "p.parquet"
    pq.write_table(
        pa.table(
            {
                "record_id": ["a", "b"],
                "name": ["张三", "張三"],
                "phone": [13812345678, 13812345678],
                "birth_date": ["1990-01-02", "1990-01-02"],
            }
        ),
        data,
    )
    run_persons(str(data), str(tmp_path / "c.csv"), stderr=StringIO())
    assert read(tmp_path / "c.csv")[1:] == [["a", "a"], ["b", "a"]]


def test_a_big_file_read_in_two_processes_gives_the_same_result(generated, tmp_path, monkeypatch):
    from ybss.linkage import cli, engine

    data, _ = generated
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    monkeypatch.setenv("YBSS_LINKAGE_JOBS", "1")
    run_persons(str(data), str(one), stderr=StringIO())
    monkeypatch.setenv("YBSS_LINKAGE_JOBS", "2")
    monkeypatch.setattr(cli, "PARALLEL_MIN_BYTES", 0)
    # Linking in two processes as well.
    monkeypatch.setattr(engine, "PARALLEL_MIN_RECORDS", 0)
    monkeypatch.setattr(engine, "PARALLEL_MIN_PAIRS", 0)
    monkeypatch.setattr(engine, "SCORE_CHUNK", 64)
    err = StringIO()
    run_persons(str(data), str(two), stderr=err)
    assert "分两个进程读取" in err.getvalue()
    assert one.read_bytes() == two.read_bytes()


def test_split_point_respects_quoted_newlines(tmp_path):
    from ybss.linkage.files import read_part, split_csv

    rows = [f'r{k},"张三\n{k}",,,,,"人民路{k}号, 3栋"\n' for k in range(200)]
    data = write(tmp_path / "p.csv", HEADER + "".join(rows))
    first, second = split_csv(data, warn=lambda _: None) or pytest.fail("not split")
    got = [r for part in (first, second) for _, r in read_part(part, warn=lambda _: None)]
    assert [r[0] for r in got] == [f"r{k}" for k in range(200)]
    assert got[150][1] == "张三\n150" and got[150][6] == "人民路150号, 3栋"
    # Line numbers go on across the split; a record is named by its last line.
    lines = [line for part in (first, second) for line, _ in read_part(part, warn=lambda _: None)]
    assert lines == [2 * k + 3 for k in range(200)]


def test_many_split_points_keep_every_record_whole_and_numbered(tmp_path):
    from ybss.linkage.files import read_part, split_csv

    rows = [f'r{k},"张三\n{k}",,,,,"人民路{k}号, 3栋"\n' for k in range(200)]
    data = write(tmp_path / "p.csv", HEADER + "".join(rows))
    parts = split_csv(data, warn=lambda _: None, parts=7) or pytest.fail("not split")
    assert len(parts) == 7
    got = [(line, r) for part in parts for line, r in read_part(part, warn=lambda _: None)]
    assert [r[0] for _, r in got] == [f"r{k}" for k in range(200)]
    assert [line for line, _ in got] == [2 * k + 3 for k in range(200)]


# --- units and addresses ---------------------------------------------------------------


@pytest.fixture(scope="module")
def generated_units(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ybss.linkage.generate_units import generate as generate_units

    data = tmp_path_factory.mktemp("units") / "units.csv"
    generate_units(800, data, seed=3)
    return data


@pytest.fixture(scope="module")
def generated_addresses(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ybss.linkage.generate_addresses import generate as generate_addresses

    data = tmp_path_factory.mktemp("addresses") / "addresses.csv"
    generate_addresses(800, data, seed=3)
    return data


def run_kind_cli(kind: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ybss.linkage", kind, *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


@pytest.mark.parametrize("kind", ["units", "addresses"])
def test_units_and_addresses_end_to_end(kind, generated_units, generated_addresses, tmp_path):
    data = generated_units if kind == "units" else generated_addresses
    out, pairs = tmp_path / "clusters.csv", tmp_path / "pairs.csv"
    done = run_kind_cli(kind, [str(data), "--out", str(out), "--pairs", str(pairs), "--default-region", "13"])
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "读取完成：800 条记录" in done.stderr and "聚类完成" in done.stderr

    clusters = read(out)
    assert clusters[0] == ["record_id", "cluster_id"]
    assert [r[0] for r in clusters[1:]] == [r[0] for r in read(data)[1:]]
    cluster_ids = {r[1] for r in clusters[1:]}
    assert cluster_ids <= {r[0] for r in clusters[1:]}
    assert len(cluster_ids) < 700

    rows = read(pairs)
    assert rows[0] == ["record_id_l", "record_id_r", "score", "explanation"]
    assert len(rows) > 50
    threshold = 18.0 if kind == "units" else 12.0
    first = "credit_code=" if kind == "units" else "division="
    for left, right, score, explanation in rows[1:]:
        assert left < right
        assert float(score) >= threshold
        assert explanation.startswith(first)
        weights = [float(w) for w in re.findall(r"\(([+-]?[\d.]+)\)", explanation)]
        assert float(score) == pytest.approx(sum(weights), abs=0.05 * len(weights))


def test_the_threshold_of_units_and_addresses(generated_addresses, tmp_path):
    from ybss.linkage.cli import run_kind

    strict, loose = tmp_path / "strict.csv", tmp_path / "loose.csv"
    run_kind("addresses", str(generated_addresses), str(strict), threshold=30, region="13", stderr=StringIO())
    run_kind("addresses", str(generated_addresses), str(loose), region="13", stderr=StringIO())
    assert len({r[1] for r in read(strict)[1:]}) > len({r[1] for r in read(loose)[1:]})


def test_a_refused_join_says_why_in_pairs(tmp_path):
    from .test_units import _typo_between_two_codes

    typo, one, two = _typo_between_two_codes()
    data = write(
        tmp_path / "u.csv",
        "record_id,name,credit_code\n"
        f"a,宏达商贸有限公司,{one}\nb,宏达商贸有限公司,{two}\nx,宏达商贸有限公司,{typo}\n",
    )
    pairs = tmp_path / "pairs.csv"
    argv = [str(data), "--out", str(tmp_path / "c.csv"), "--pairs", str(pairs), "--default-region", "13"]
    done = run_kind_cli("units", argv)
    assert done.returncode == 0, done.stderr
    assert "没有 address 列" in done.stderr  # missing columns read as empty, with a warning
    refused = [r for r in read(pairs)[1:] if "refused" in r[3]]
    assert len(refused) == 1
    assert refused[0][0:2] == ["b", "x"]
    assert refused[0][3].endswith("; cluster=refused(different valid credit_code)")


def test_units_bad_input_is_named_and_writes_nothing(tmp_path):
    header = "record_id,name,credit_code,address,phone\n"
    data = write(tmp_path / "u.csv", header + "u1,宏达商贸有限公司\nu2,鑫源超市\nu1,华康药房\n")
    out = write(tmp_path / "c.csv", "old result\n")
    pairs = tmp_path / "pairs.csv"
    done = run_kind_cli(
        "units", [str(data), "--out", str(out), "--pairs", str(pairs), "--default-region", "13"]
    )
    assert done.returncode == 1
    assert "第 4 行" in done.stderr and "第 2 行" in done.stderr and "“u1”" in done.stderr
    assert out.read_text() == "old result\n"
    assert not pairs.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_addresses_bad_input_is_named(tmp_path):
    from ybss.linkage.cli import run_kind

    done = run_kind_cli("addresses", [str(tmp_path / "nope.csv"), "--out", str(tmp_path / "c.csv")])
    assert done.returncode == 1 and "找不到输入文件" in done.stderr
    data = write(tmp_path / "a.csv", "id,address\n1,涿鹿县人民路1号\n")
    with pytest.raises(LinkageInputError, match="缺少 record_id 列"):
        run_kind("addresses", str(data), str(tmp_path / "c.csv"), stderr=StringIO())
    data = write(tmp_path / "a.csv", "record_id,address\na,涿鹿县人民路1号\n,涿鹿县人民路2号\n")
    with pytest.raises(LinkageInputError, match="第 3 行的 record_id 为空"):
        run_kind("addresses", str(data), str(tmp_path / "c.csv"), stderr=StringIO())
    data = write(tmp_path / "a.csv", "record_id,address\na,涿鹿县人民路1号\n")
    done = run_kind_cli("addresses", [str(data), "--out", str(tmp_path / "c.csv"), "--default-region", "13x"])
    assert done.returncode == 1 and "--default-region 应为区划代码前缀" in done.stderr
    assert not (tmp_path / "c.csv").exists()


def test_a_division_code_that_is_not_one_is_ignored_with_a_warning_naming_the_row(tmp_path):
    from ybss.linkage.cli import run_kind

    data = write(
        tmp_path / "a.csv",
        "record_id,address,division_code\n"
        "a,人民路18号,130731\nb,人民路18号,N/A\nc,人民路18号,130731000000\nd,人民路18号,N/A\n",
    )
    err = StringIO()
    run_kind("addresses", str(data), str(tmp_path / "c.csv"), region="13", stderr=err)
    assert "2 行的 division_code 不是区划代码，已忽略（第一处在第 3 行）" in err.getvalue()
    assert read(tmp_path / "c.csv")[1:] == [["a", "a"], ["b", "a"], ["c", "a"], ["d", "a"]]


def test_gbk_unit_files_are_read(tmp_path):
    from ybss.linkage.cli import run_kind

    from .helpers import make_code

    code = make_code("MA0C1234")
    text = (
        "record_id,name,credit_code,address,phone,representative\n"
        f"a,張家口宏達商貿有限公司,{code},涿鹿县人民路18号,13812345678,张三\n"
        f"b,宏达商贸有限公司,{code.lower()},,,\n"
    )
    data = write(tmp_path / "u.csv", text, "gbk")
    run_kind("units", str(data), str(tmp_path / "c.csv"), region="13", stderr=StringIO())
    assert read(tmp_path / "c.csv")[1:] == [["a", "a"], ["b", "a"]]


@pytest.mark.parametrize("kind", ["units", "addresses"])
def test_django_command_links_units_and_addresses(kind, generated_units, generated_addresses, tmp_path):
    data = generated_units if kind == "units" else generated_addresses
    out = tmp_path / "clusters.csv"
    err = StringIO()
    # The deployment's region (YBSS_REGION) is the default; the generated records are all over 河北.
    call_command("link", kind, str(data), "--out", str(out), "--default-region", "13", stderr=err)
    assert len(read(out)) == 801
    assert "聚类完成" in err.getvalue()


def test_django_command_reports_unit_input_errors(tmp_path):
    with pytest.raises(CommandError, match="找不到输入文件"):
        call_command("link", "units", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "c.csv"))
