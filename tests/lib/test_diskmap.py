"""ybss.lib.diskmap: what an import remembers of every row, kept out of memory."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from ybss.lib.diskmap import DiskMap


def _key(i: int) -> bytes:
    return hashlib.blake2b(str(i).encode(), digest_size=16).digest()


def test_get_many_finds_what_put_many_stored_across_statements() -> None:
    m = DiskMap(in_memory=100, cache_kib=64)
    m.put_many((_key(i), i.to_bytes(4, "big")) for i in range(0, 100, 2))
    assert not m.on_disk
    m.put_many((_key(i), i.to_bytes(4, "big")) for i in range(100, 2400, 2))
    assert m.on_disk
    # More keys than one statement takes, repeated keys, and keys never stored.
    wanted = [_key(i) for i in range(2400)] + [_key(0), _key(2)]
    found = m.get_many(wanted)
    assert found == {_key(i): i.to_bytes(4, "big") for i in range(0, 2400, 2)}
    assert len(m) == 1200
    m.close()


@pytest.mark.parametrize("in_memory", [0, 10])
def test_put_many_replaces_a_keys_value(in_memory: int) -> None:
    m = DiskMap(in_memory=in_memory)
    m.put_many([(b"k", b"one")])
    m.put_many([(b"k", b"two"), (b"j", b"")])
    assert m.get_many([b"k", b"j", b"x"]) == {b"k": b"two", b"j": b""}
    assert m.on_disk == (in_memory == 0)


def test_a_failed_write_is_reported_and_the_map_stays_usable() -> None:
    m = DiskMap(in_memory=0)
    m.put_many([(b"a", b"1")])

    def items() -> object:
        yield (b"b", b"2")
        yield (b"c", None)  # NOT NULL: the statement fails half way

    with pytest.raises(sqlite3.IntegrityError):
        m.put_many(items())  # type: ignore[arg-type]
    # What a failed write left is not promised (no journal); what was there before stays.
    assert m.get_many([b"a", b"c"]) == {b"a": b"1"}
    m.put_many([(b"d", b"4")])
    assert m.get_many([b"d"]) == {b"d": b"4"}


def test_each_map_is_its_own_and_gone_when_closed() -> None:
    a, b = DiskMap(in_memory=0), DiskMap(in_memory=0)
    a.put_many([(b"k", b"a")])
    assert b.get_many([b"k"]) == {}
    a.close()
    with pytest.raises(sqlite3.ProgrammingError):
        a.get_many([b"k"])
