import pickle
from typing import Any, NamedTuple

from ybss.lib.pickling import reduce_as_tuple


class Point(NamedTuple):
    x: int
    y: Any = None

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_as_tuple(self)


def test_a_record_comes_back_as_itself_with_its_type() -> None:
    records = [Point(1, (2, "三")), Point(4), Point(5, Point(6, [7]))]
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(records, protocol=protocol))  # noqa: S301 - our own bytes
        assert back == records
        assert [type(r) for r in back] == [Point] * 3 and type(back[2].y) is Point
        assert back[1].y is None and back[2].y.y == [7]


def test_it_is_rebuilt_without_calling_the_class() -> None:
    # tuple.__new__ rather than Point(...): what the speed comes from.
    assert Point(1, 2).__reduce__() == (tuple.__new__, (Point, (1, 2)))
