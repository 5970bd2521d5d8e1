"""Houses reuse the address, person and unit fixtures of tests/units."""

from tests.units.conftest import far_person, far_plate, far_unit, li, room, unit, zhang

__all__ = ["far_person", "far_plate", "far_unit", "li", "room", "unit", "zhang"]
