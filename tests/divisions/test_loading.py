import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ybss.divisions.loading import load_divisions, resolve_code
from ybss.divisions.models import Division


@pytest.mark.django_db
def test_county_is_loaded_with_its_ancestors() -> None:
    county = Division.objects.get(code="130731")
    assert county.name == "涿鹿县"
    assert [a.code for a in county.ancestors()] == ["13", "1307"]
    assert Division.objects.filter(parent=county).count() == 17
    assert Division.objects.within("130731").filter(level=5).count() == 384
    town = Division.objects.get(code="130731100002")
    assert town.short_name == "鼓楼社区"
    assert town.full_name() == "河北省张家口市涿鹿县涿鹿镇鼓楼社区"


@pytest.mark.django_db
def test_loading_twice_writes_nothing() -> None:
    before = Division.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        report = load_divisions("130731")
    assert report.created == 0 and report.updated == 0
    assert report.unchanged == 17 + 384 + 3
    assert Division.objects.count() == before
    assert not [q for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))]


@pytest.mark.django_db
def test_a_renamed_division_is_updated_not_duplicated() -> None:
    Division.objects.filter(code="130731100").update(name="旧名镇", short_name="旧名镇")
    report = load_divisions("130731100")
    assert report.updated == 1
    assert Division.objects.get(code="130731100").name == "涿鹿镇"


@pytest.mark.django_db
def test_a_second_county_loads_beside_the_first() -> None:
    report = load_divisions("130722")
    assert report.created > 0
    assert Division.objects.get(code="130722").name == "张北县"
    assert Division.objects.get(code="130731").name == "涿鹿县"


@pytest.mark.django_db
def test_abolished_county_code_resolves_to_successor() -> None:
    assert resolve_code("132530").code == "130731"  # type: ignore[union-attr]
    assert resolve_code("130731000000").code == "130731"  # type: ignore[union-attr]
    assert resolve_code("130731100002").short_name == "鼓楼社区"  # type: ignore[union-attr]
    assert resolve_code("990000") is None


@pytest.mark.django_db
@pytest.mark.parametrize("scope", ["1", "13a", "1307311", "99"])
def test_bad_scope_is_refused(scope: str) -> None:
    with pytest.raises(ValueError, match="区划"):
        load_divisions(scope)
