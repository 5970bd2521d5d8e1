from typing import Any

import pytest

from tests.testapp.models import Resident
from ybss.addresses import actions
from ybss.addresses.models import AddressNode, Kind
from ybss.divisions.models import Division

# Valid GB 11643 numbers (computed check characters) from 涿鹿县 130731.
IDS = ["130731199001011231", "130731199001011258", "130731198505052323"]


@pytest.fixture
def room(community: Division, road: Any) -> AddressNode:
    plate = actions.create_node(None, Kind.DOORPLATE, "18", division=community, road=road)
    return actions.create_node(None, Kind.ROOM, "1", parent=plate)


@pytest.fixture
def far_room(db: Any) -> AddressNode:
    """A room in 张家堡镇 (130731101), outside alice's station."""
    from ybss.divisions.loading import load_divisions

    load_divisions("130731101")
    village = Division.objects.filter(code__startswith="130731101", level=5).order_by("code").first()
    assert village is not None
    group = actions.create_node(None, Kind.GROUP, "1", division=village)
    return actions.create_node(None, Kind.DOORPLATE, "1", parent=group)


def make_resident(name: str, address: AddressNode, id_number: str, phone: str = "13812345678") -> Resident:
    r = Resident(name=name, address=address)
    r.set_id_number(id_number)
    r.set_phone(phone)
    r.save()
    return r


@pytest.fixture
def zhang(room: AddressNode) -> Resident:
    return make_resident("张伟", room, IDS[0])


@pytest.fixture
def wang(far_room: AddressNode) -> Resident:
    return make_resident("王芳", far_room, IDS[2], "13900001111")
