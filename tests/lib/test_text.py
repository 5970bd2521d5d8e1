import pytest

from ybss.lib.text import InvalidName, clean_name


def test_ordinary_names_pass_trimmed() -> None:
    assert clean_name("  阳光小区 ", "小区名称") == "阳光小区"
    assert clean_name("3#", "楼栋号") == "3#"
    assert clean_name("金色·家园（二期）", "小区名称") == "金色·家园（二期）"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "不能为空"),
        ("   ", "不能为空"),
        (None, "不能为空"),
        ("<script>alert(1)</script>", "不允许的字符"),
        ("x'; DROP TABLE addresses_road; --", "不允许的字符"),
        ("阳光\x00小区", "控制字符"),
        ("阳光\u202e小区", "控制字符"),
        ("长" * 101, "过长"),
    ],
)
def test_hostile_or_empty_names_are_refused_naming_the_field(value: object, fragment: str) -> None:
    with pytest.raises(InvalidName) as info:
        clean_name(value, "小区名称")
    assert "小区名称" in str(info.value)
    assert fragment in str(info.value)


def test_names_of_letters_and_digits_only_and_names_with_spaces_or_signs() -> None:
    assert clean_name("张三丰", "姓名") == "张三丰"
    assert clean_name("Ⅻ号楼", "楼栋号") == "Ⅻ号楼"
    assert clean_name("SMITH  JOHN", "姓名") == "SMITH JOHN"  # inner spaces folded
    with pytest.raises(InvalidName):
        clean_name("张三;", "姓名")
