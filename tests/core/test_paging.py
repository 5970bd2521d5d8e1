import pytest

from ybss.core.paging import COUNT_CAP, CappedPaginator
from ybss.divisions.models import Division


@pytest.mark.django_db
def test_count_stops_at_the_cap() -> None:
    qs = Division.objects.order_by("code")
    total = qs.count()
    assert total > 50
    small = CappedPaginator(qs, 50)
    assert small.count == min(total, COUNT_CAP + 1)
    assert small.capped == (total > COUNT_CAP)
    few = CappedPaginator(qs[:30], 50)
    assert few.count == 30 and not few.capped
