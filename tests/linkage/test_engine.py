"""Linking hand-made records: the duplicates that must be found, and the people who must stay apart."""

from __future__ import annotations

import pytest

from ybss.linkage import DEFAULT_THRESHOLD, engine, link
from ybss.linkage import scoring as S
from ybss.linkage.cluster import ConstrainedUnionFind
from ybss.linkage.engine import DuplicateRecordId

from .helpers import make_id, table

ADDRESS = "河北省张家口市涿鹿县人民路18号阳光小区3栋2单元502室"
PHONE = "13812345678"


def clusters(*rows):
    return link(table(*rows)).clusters()


def test_copies_with_every_kind_of_id_mistake_are_one_person():
    number = make_id("19700512", "231")
    typo = number[:10] + str((int(number[10]) + 3) % 10) + number[11:]
    i = next(k for k in range(14, 17) if number[k] != number[k + 1])
    swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
    old = number[:6] + number[8:17]
    full = number.translate({ord("0") + k: 0xFF10 + k for k in range(10)})
    rows: list[tuple[str, ...]] = [("r0", "王建国", number, "男", "1970-05-12", PHONE, ADDRESS)]
    rows += [(f"r{k}", "王建国", n) for k, n in enumerate((typo, swapped, old, full), start=1)]
    assert clusters(*rows) == [["r0", "r1", "r2", "r3", "r4"]]


def test_traditional_and_same_sound_names_and_other_spellings_link_without_an_id():
    a = ("a", "張偉強", "", "1", "1985-02-03", PHONE, ADDRESS)
    b = ("b", "张玮强", "", "男", "1985年2月3日", "+86 138 1234 5678", "涿鹿县人民路18号阳光小区3-2-502")
    assert clusters(a, b) == [["a", "b"]]


def test_twins_stay_apart():
    # Same birth date, address, phone and surname, given names sharing a character,
    # consecutive sequence numbers.
    one = make_id("20100101", "011")
    two = make_id("20100101", "013")
    rows = [
        ("t1", "李子涵", one, "男", "2010-01-01", PHONE, ADDRESS),
        ("t1b", "李子涵", one, "", "20100101", PHONE, ADDRESS),
        ("t2", "李子轩", two, "男", "2010/1/1", PHONE, ADDRESS),
        ("t2b", "李子轩", "", "1", "2010年1月1日", PHONE, ADDRESS),
    ]
    assert clusters(*rows) == [["t1", "t1b"], ["t2", "t2b"]]


def test_a_twin_without_id_number_or_name_is_not_guessed():
    one, two = make_id("20100101", "011"), make_id("20100101", "013")
    rows = [
        ("t1", "李子涵", one, "男", "2010-01-01", PHONE, ADDRESS),
        ("t2", "李子轩", two, "男", "2010-01-01", PHONE, ADDRESS),
        ("x", "", "", "男", "2010-01-01", PHONE, ADDRESS),
    ]
    assert clusters(*rows) == [["t1"], ["t2"], ["x"]]


def test_a_mistyped_twin_number_joins_the_twin_it_belongs_to():
    one, two = make_id("20100101", "011"), make_id("20100101", "013")
    # A typo that makes the number one step from both twins' numbers.
    typo = one[:16] + two[16] + one[17]
    assert one != typo != two
    rows = [
        ("t1", "李子涵", one, "男", "2010-01-01", PHONE, ADDRESS),
        ("t2", "李子轩", two, "男", "2010-01-01", PHONE, ADDRESS),
        ("x", "李子涵", typo, "男", "2010-01-01", PHONE, ADDRESS),
    ]
    linkage = link(table(*rows))
    assert linkage.clusters() == [["t1", "x"], ["t2"]]
    # x also scored above the threshold with t2; the constraint refused it.
    assert linkage.stats["refused_pairs"] >= 1


def test_a_household_sharing_address_and_phone_stays_apart():
    rows = [
        ("father", "王建国", make_id("19700512", "231"), "男", "", PHONE, ADDRESS),
        ("mother", "刘秀英", make_id("19720803", "242"), "女", "", PHONE, ADDRESS),
        ("son", "王磊", make_id("19980101", "015"), "男", "", PHONE, ADDRESS),
        ("son2", "王磊", "", "男", "1998-01-01", PHONE, ADDRESS),
        ("daughter", "王芳", "", "女", "2001-06-01", PHONE, ADDRESS),
        ("grandma", "王秀兰", "", "女", "", PHONE, ADDRESS),
    ]
    assert clusters(*rows) == [["daughter"], ["father"], ["grandma"], ["mother"], ["son", "son2"]]


def test_very_common_names_are_not_merged_without_other_evidence():
    rows = [
        ("a", "张伟", "", "男", "", "13900000001", "河北省张家口市涿鹿县人民路1号"),
        ("b", "张伟", "", "男", "", "13900000002", "河北省张家口市涿鹿县解放路9号"),
        ("c", "張偉", "", "男", "", "", ""),
    ]
    assert clusters(*rows) == [["a"], ["b"], ["c"]]
    # Even on the same day of birth, a different phone and address keep two 张伟 apart …
    rows = [
        ("a", "张伟", "", "男", "1990-01-01", "13900000001", "河北省张家口市涿鹿县人民路1号"),
        ("b", "张伟", "", "男", "19900101", "13900000002", "河北省张家口市涿鹿县解放路9号"),
    ]
    assert clusters(*rows) == [["a"], ["b"]]
    # … while a rare name on the same day is enough.
    rows = [
        ("a", "欧阳翠花", "", "女", "1990-01-01", "13900000001", "河北省张家口市涿鹿县人民路1号"),
        ("b", "欧阳翠花", "", "女", "19900101", "13900000002", "河北省张家口市涿鹿县解放路9号"),
    ]
    assert clusters(*rows) == [["a", "b"]]


def test_two_different_valid_numbers_are_never_one_cluster():
    # Everything else agrees: the numbers decide.
    rows = [
        ("a", "赵敏", make_id("19900101", "022"), "女", "", PHONE, ADDRESS),
        ("b", "赵敏", make_id("19900101", "024"), "女", "", PHONE, ADDRESS),
        ("c", "赵敏", "", "女", "1990-01-01", PHONE, ADDRESS),
    ]
    linkage = link(table(*rows))
    # c fits both equally well: it joins the first by record id, and b stays alone.
    assert linkage.clusters() == [["a", "c"], ["b"]]
    assert linkage.stats["refused_pairs"] == 1


def test_explanation_names_agreeing_disagreeing_and_missing_fields():
    t = table(
        ("a", "张伟强", make_id("19850203", "111"), "", "", PHONE, ""),
        ("b", "张玮强", make_id("19850203", "111"), "", "", "13999999999", "涿鹿县人民路18号"),
    )
    comparison = t.compare(0, 1)
    by_field = {f.field: f for f in comparison.fields}
    assert set(comparison.agreed) == {"id_number", "name", "birth_date", "gender"}
    assert comparison.disagreed == ["phone"]
    assert comparison.missing == ["address"]
    assert by_field["name"].level_name == "pinyin"
    assert by_field["id_number"].weight == S.ID_EXACT
    assert by_field["phone"].weight == S.PHONE_DIFFERENT
    assert by_field["address"].weight == 0
    assert comparison.score == pytest.approx(sum(f.weight for f in comparison.fields))
    text = comparison.explain()
    assert "id_number=exact(+25.0)" in text
    assert "phone=different(-1.0)" in text
    assert "address=missing(0)" in text


def test_household_interaction_is_explained_as_its_own_term():
    t = table(
        ("a", "王建国", "", "男", "", PHONE, ADDRESS),
        ("b", "王建国", "", "男", "", PHONE, ADDRESS),
    )
    comparison = t.compare(0, 1)
    assert comparison.fields[-1].field == "household"
    assert comparison.fields[-1].weight == S.NAME_IN_HOUSEHOLD
    assert comparison.score >= DEFAULT_THRESHOLD


def test_the_threshold_decides():
    rows = [("a", "王建国", "", "男", "1970-05-12", PHONE), ("b", "王建国", "", "男", "1970-05-12", PHONE)]
    score = table(*rows).compare(0, 1).score
    assert link(table(*rows), threshold=score).clusters() == [["a", "b"]]
    assert link(table(*rows), threshold=score + 0.01).clusters() == [["a"], ["b"]]


def test_cluster_ids_are_the_smallest_record_id_and_pairs_are_ordered():
    number = make_id("19700512", "231")
    linkage = link(table(("z", "王建国", number), ("m", "王建国", number), ("q", "李四")))
    assert [linkage.cluster_id(i) for i in range(3)] == ["m", "m", "q"]
    [(left, right, score, joined)] = list(linkage.pairs())
    assert (linkage.table.record_id[left], linkage.table.record_id[right]) == ("m", "z")
    assert joined and score >= DEFAULT_THRESHOLD


def test_duplicate_record_ids_are_refused():
    with pytest.raises(DuplicateRecordId) as info:
        link(table(("a", "王建国"), ("b", "李四"), ("a", "赵五")))
    assert (info.value.first, info.value.second, info.value.record_id) == (0, 2, "a")


def test_union_find_constraint():
    numbers = __import__("array").array("q", [11, 0, 22, 0, 0])
    uf = ConstrainedUnionFind(5, numbers, {1: (11, 22), 3: (22, 33), 4: (44,)})
    assert uf.union(1, 3)  # both could be 22
    assert not uf.union(0, 3)  # 11 is not among what {1, 3} may be
    assert uf.union(2, 1)  # 22 is
    assert not uf.union(4, 2)
    assert uf.refused == 2
    assert uf.find(1) == uf.find(2) == uf.find(3) != uf.find(0)


def test_the_package_docstring_example_holds():
    import doctest

    import ybss.linkage

    assert doctest.testmod(ybss.linkage).failed == 0


@pytest.mark.parametrize("processes", [1, 2])
def test_a_pair_in_a_skipped_block_is_met_through_a_later_key(monkeypatch, processes):
    """The later keys' pairs are made in parallel as if no block had been skipped; when
    one was, the pairs a later key shares with it are taken there after all."""
    monkeypatch.setattr(engine, "MAX_BLOCK", 2)
    monkeypatch.setattr(engine, "PARALLEL_MIN_RECORDS", 0)
    same = ("王建国", "", "男", "1970-05-12")
    rows = [("a", *same, PHONE, ADDRESS), ("b", *same, PHONE, ADDRESS), ("c", *same, "13900000000", "")]
    result = link(table(*rows), processes=processes)
    assert result.stats["pairs_birth_date+name"] == 0
    assert result.stats["pairs_phone+name"] == 1
    assert ["a", "b"] in result.clusters()
