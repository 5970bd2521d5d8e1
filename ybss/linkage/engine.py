"""The person linkage engine: prepare, block, compare, cluster.

Records are held column by column in :mod:`array` columns and interned
tables (a name or an address is stored once, however many records carry
it), so that ten million records fit in a few gigabytes of a Python process.

1. **Prepare** each record as it is read: repair or convert the ID number,
   take birth date and sex from it, simplify and transcribe the name,
   normalize the phone; addresses are normalized later, only when two
   different spellings have to be compared.
2. **Block**: records that share a blocking key become candidate pairs. The
   keys are the ID number (or each repair candidate of a mistyped one),
   birth date + name sound, phone + name sound, phone + birth date and
   address numbers + name sound. Each key is a sort of the records by that
   key and a scan of the runs (records of one valid number are grouped by a
   dictionary instead), so no step is quadratic in the number of records;
   a pair found by an earlier key is not compared again. The keys are made
   in parallel with a forked helper (:mod:`.parallel`).
3. **Compare** every candidate pair field by field (:mod:`.scoring`) and
   keep those scoring at least the threshold; pairs of one valid number are
   joined at once, the others are compared once blocking is done.
4. **Cluster** the kept pairs strongest first with the ID-number constraint
   (:mod:`.cluster`).

``docs/linkage.md`` has the reasoning and the measured figures.
"""

from __future__ import annotations

import functools
import operator
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import Any

from . import fields as F
from . import scoring as S
from .cluster import Clusters, ConstrainedUnionFind, check_unique_ids, representatives
from .cluster import DuplicateRecordId as DuplicateRecordId  # where callers have always found it
from .parallel import gc_paused, map_chunks

Progress = Callable[[str], None]
COLUMNS = ("record_id", "name", "id_number", "gender", "birth_date", "phone", "address")

# Blocks bigger than this are not compared pair by pair: a key shared by
# hundreds of records (a phone number on a landlord's whole spreadsheet) says
# little, and its pairs would cost more than the rest of the file.
MAX_BLOCK = 200
MAX_ID_BLOCK = 1000
KEY_SLICE = 1 << 20
# Pairs are compared in chunks of this many, handed to whichever process is free;
# below PARALLEL_MIN_PAIRS a helper process costs more than it saves. At a million
# records (145,000 pairs) two processes take 0.9–1.1 s against 2.3–2.4 s in one; before
# address normalizing was made cheaper they did not pay (both normalize many of the same
# addresses, and the helper copies the pages it first writes to).
SCORE_CHUNK = 4096
PARALLEL_MIN_PAIRS = 50_000
# Below this many records linking takes less than starting a helper process.
PARALLEL_MIN_RECORDS = 50_000
BLOCKING_KEYS = ("id_number", "birth_date+name", "phone+name", "phone+birth_date", "address+name")


def _quiet(_: str) -> None:
    pass


class PersonTable:
    """Prepared person records, one column per field; records are numbered 0 … n-1 in input order."""

    def __init__(self, *, today: date | None = None) -> None:
        self.today = today
        self.record_id: list[str] = []
        self.id_code = array("q")  # encoded valid 18-digit number, 0 if none
        self.id_status = bytearray()
        self.candidates: dict[int, tuple[int, ...]] = {}  # record → repair candidates of its number
        self.birth = array("i")  # date ordinal, 0 if unknown
        self.sex = bytearray()  # 1, 2 or 0
        self.name = array("i")  # name id, 0 if missing
        self.phone = array("q")
        self.address = array("i")  # address id, 0 if missing
        # Interned names: id → normalized text, sound id, count of records.
        self.name_text: list[str] = [""]
        self.name_sound = array("i", [0])
        self.sound_text: list[str] = [""]
        # Records per name and per sound, counted by freeze().
        self.name_count = array("i")
        self.sound_count = array("i")
        self._frozen = False
        self._sealed = False
        self.address_text: list[str] = [""]
        self._address_folded: dict[int, str] = {}
        self._address_normal: dict[int, str] = {}
        self._name_ids: dict[str, int] = {"": 0}
        self._raw_names: dict[str, int] = {"": 0}
        self._sound_ids: dict[str, int] = {"": 0}
        self._address_ids: dict[str, int] = {"": 0}
        self._birth_of_digits: dict[str, int] = {}
        self._birth_of_text: dict[str, int] = {}
        self._name_weight: array[float] | None = None
        self._sound_weight: array[float] | None = None
        self._fingerprint: dict[int, int] = {}
        self._fingerprint_ids: dict[str, int] = {"": 0}
        # Columns derived for blocking, kept while linking a frozen table.
        self._cache: dict[str, array[int]] = {}

    def __len__(self) -> int:
        return len(self.record_id)

    # --- preparing ---------------------------------------------------------------

    def add(
        self,
        record_id: str,
        name: str = "",
        id_number: str = "",
        gender: str = "",
        birth_date: str = "",
        phone: str = "",
        address: str = "",
    ) -> int:
        """Prepare one record; returns its number."""
        self.extend(((record_id, name, id_number, gender, birth_date, phone, address),))
        return len(self.record_id) - 1

    def extend(self, rows: Iterable[Sequence[str]]) -> None:
        """Prepare records given as (record_id, name, id_number, gender, birth_date, phone, address)."""
        batch = list(rows)
        if not batch:
            if self._frozen:
                raise RuntimeError("PersonTable.freeze() was called: no more records can be added")
            return
        for row in batch:
            if len(row) != len(COLUMNS):
                raise ValueError(f"a record has {len(COLUMNS)} fields, not {len(row)}: {row!r}")
        self.extend_columns(*(list(column) for column in zip(*batch, strict=True)))

    def extend_columns(
        self,
        record_id: list[str],
        name: list[str],
        id_number: list[str],
        gender: list[str],
        birth_date: list[str],
        phone: list[str],
        address: list[str],
    ) -> None:
        """Prepare records given column by column (each list holds one field of every record).

        This runs once per record, so it works a column at a time: each
        distinct text of a column is prepared once (copies of one person share
        their number, a household its phone and address, many people a name),
        and the per-record steps are ``map()`` look-ups that run in C. Only
        records without a valid number take a step in Python.
        """
        if self._frozen or self._sealed:
            raise RuntimeError("PersonTable.freeze() or seal() was called: no more records can be added")
        with gc_paused():
            self._extend_columns(record_id, name, id_number, gender, birth_date, phone, address)

    def _extend_columns(
        self,
        record_id: list[str],
        name: list[str],
        id_number: list[str],
        gender: list[str],
        birth_date: list[str],
        phone: list[str],
        address: list[str],
    ) -> None:
        m = len(record_id)
        columns = (name, id_number, gender, birth_date, phone, address)
        if any(len(column) != m for column in columns):
            raise ValueError("all columns must have one value per record")
        start = len(self.record_id)

        # ID numbers: (status, code, birth, sex) of each distinct text.
        repairs: dict[str, tuple[int, ...]] = {}
        parsed = self._parse_ids(dict.fromkeys(id_number), repairs)
        info = list(map(parsed.__getitem__, id_number))
        status = bytes(map(itemgetter(0), info))
        code = array("q", map(itemgetter(1), info))
        birth = array("i", map(itemgetter(2), info))
        sex = bytearray(map(itemgetter(3), info))
        del info
        # Records without a valid number: birth date and sex from their own
        # columns, else what every repair candidate agrees on.
        dates = self._birth_of_text
        candidates_of = self.candidates
        for k in [k for k, c in enumerate(code) if not c]:
            text = birth_date[k]
            b = 0
            if text:
                b = dates.get(text, -1)
                if b < 0:
                    b = dates[text] = F.parse_birth_date(text)
            x = F.parse_gender(gender[k]) if gender[k] else 0
            candidates = repairs.get(id_number[k])
            if candidates:
                candidates_of[start + k] = candidates
                if not b:
                    found = {F.birth_of_id(c) for c in candidates}
                    b = found.pop() if len(found) == 1 else 0
                if not x:
                    found = {F.sex_of_id(c) for c in candidates}
                    x = found.pop() if len(found) == 1 else 0
            birth[k] = b
            sex[k] = x

        # Names: each new raw spelling is normalized once, each new normal form transcribed once.
        raw_names = self._raw_names
        for raw in [raw for raw in dict.fromkeys(name) if raw not in raw_names]:
            self._intern_name(raw)
        # Phones: the plain mobile number most records hold is its own key.
        phones: dict[str, int] = dict.fromkeys(phone, 0)
        for text in phones:
            if len(text) == 11 and text.isdigit() and text.isascii() and text[0] == "1":
                phones[text] = int(text)
            else:
                phones[text] = F.phone_key(text) if text else 0
        # Addresses are kept as typed (stripped), each distinct text once.
        address_ids, address_text = self._address_ids, self.address_text
        for raw in [raw for raw in dict.fromkeys(address) if raw not in address_ids]:
            stripped = raw.strip()
            address_id = address_ids.get(stripped)
            if address_id is None:
                address_id = address_ids[stripped] = len(address_text)
                address_text.append(stripped)
            address_ids[raw] = address_id

        self.record_id += record_id
        self.id_status += status
        self.id_code += code
        self.birth += birth
        self.sex += sex
        self.name += array("i", map(raw_names.__getitem__, name))
        self.phone += array("q", map(phones.__getitem__, phone))
        self.address += array("i", map(address_ids.__getitem__, address))

    def _parse_ids(
        self, texts: dict[str, Any], repairs: dict[str, tuple[int, ...]]
    ) -> dict[str, tuple[int, int, int, int]]:
        """``(status, encoded valid number or 0, birth date, sex)`` for each typed ID number in ``texts``.

        The repair candidates of mistyped numbers go to ``repairs``.

        A valid 18-digit number in ASCII, the common case, is checked without
        a function call. Its check sum Σ digit·2^(17-i) mod 11 is the number
        read in base 13, doubled, mod 11 (13 ≡ 2 mod 11), which ``int()``
        computes in C.
        """
        check_chars = F.CHECK_CHARS
        births = self._birth_of_digits
        today = self.today
        for text in texts:
            if (
                len(text) == 18
                and text.isascii()
                and text[:17].isdigit()
                and check_chars[(12 - 2 * int(text[:17], 13) % 11) % 11] == text[17]
            ):
                status, number = F.ID_VALID, text
            elif text:
                status, number, candidates = F.parse_id(text, today=today)
                if candidates:
                    repairs[text] = candidates
            else:
                status, number = F.ID_MISSING, ""
            if number:
                digits = number[6:14]
                birth = births.get(digits, -1)
                if birth < 0:
                    birth = F.date_ordinal(digits)
                    birth = births[digits] = birth if birth >= F.EARLIEST_BIRTH else 0
                sex = 1 if (ord(number[16]) - 48) % 2 else 2
                texts[text] = (status, int(number[:17]) * 11 + check_chars.index(number[17]), birth, sex)
            else:
                texts[text] = (status, 0, 0, 0)
        return texts

    def seal(self) -> None:
        """No more records: drop the dictionaries that only adding records needs.

        For a table read in another process, before it is sent back to be
        :meth:`absorb`-ed: the dictionaries would more than double what has
        to be pickled, and absorbing reads only the columns and texts.
        """
        self._sealed = True
        for interning in (
            self._raw_names,
            self._name_ids,
            self._sound_ids,
            self._address_ids,
            self._birth_of_digits,
            self._birth_of_text,
        ):
            interning.clear()

    def absorb(self, other: PersonTable) -> None:
        """Append the records of ``other`` (read in another process), renumbering its names and addresses."""
        if self._frozen or other._frozen or self._sealed:
            raise RuntimeError("only tables that are still being read can be combined")
        offset = len(self)
        sound_map = array("i", [0]) * len(other.sound_text)
        for sound_id, text in enumerate(other.sound_text):
            found = self._sound_ids.get(text)
            if found is None:
                found = self._sound_ids[text] = len(self.sound_text)
                self.sound_text.append(text)
            sound_map[sound_id] = found
        name_map = array("i", [0]) * len(other.name_text)
        for name_id, text in enumerate(other.name_text):
            found = self._name_ids.get(text)
            if found is None:
                found = self._name_ids[text] = len(self.name_text)
                self.name_text.append(text)
                self.name_sound.append(sound_map[other.name_sound[name_id]])
            name_map[name_id] = found
        address_map = array("i", [0]) * len(other.address_text)
        for address_id, text in enumerate(other.address_text):
            found = self._address_ids.get(text)
            if found is None:
                found = self._address_ids[text] = len(self.address_text)
                self.address_text.append(text)
            address_map[address_id] = found
        self.record_id += other.record_id
        self.id_status += other.id_status
        self.id_code += other.id_code
        self.birth += other.birth
        self.sex += other.sex
        self.phone += other.phone
        self.name += array("i", map(name_map.__getitem__, other.name))
        self.address += array("i", map(address_map.__getitem__, other.address))
        for i, cands in other.candidates.items():
            self.candidates[offset + i] = cands

    def _intern_name(self, raw: str) -> int:
        normal = F.normalize_name_once(raw)
        name_id = self._name_ids.get(normal)
        if name_id is None:
            name_id = self._name_ids[normal] = len(self.name_text)
            self.name_text.append(normal)
            sound = F.name_pinyin(normal)
            sound_id = self._sound_ids.get(sound)
            if sound_id is None:
                sound_id = self._sound_ids[sound] = len(self.sound_text)
                self.sound_text.append(sound)
            self.name_sound.append(sound_id)
        self._raw_names[raw] = name_id
        return name_id

    def freeze(self) -> None:
        """Count names, weigh them and drop the interning dictionaries: reading is over."""
        if self._frozen:
            return
        self._frozen = True
        self._raw_names.clear()
        self._birth_of_digits.clear()
        self._birth_of_text.clear()
        self._name_ids.clear()
        self._sound_ids.clear()
        self._address_ids.clear()
        name_count = array("i", [0]) * len(self.name_text)
        for name_id, count in Counter(self.name).items():
            name_count[name_id] = count
        name_count[0] = 0
        sound_count = array("i", [0]) * len(self.sound_text)
        for name_id, count in enumerate(name_count):
            sound_count[self.name_sound[name_id]] += count
        self.name_count, self.sound_count = name_count, sound_count
        n = len(self)
        common_sounds = {F.name_pinyin(name) for name in S.COMMON_NAMES}
        # A weight depends only on the count: a few hundred counts for 100,000s of names.
        weight = functools.cache(lambda count, common: S.name_weight(count, n, common=common))
        self._name_weight = array(
            "d",
            (weight(c, t in S.COMMON_NAMES) for c, t in zip(self.name_count, self.name_text, strict=True)),
        )
        self._sound_weight = array(
            "d",
            (
                weight(c, t in common_sounds) - S.NAME_PINYIN_PENALTY
                for c, t in zip(self.sound_count, self.sound_text, strict=True)
            ),
        )

    def folded_address(self, address_id: int) -> str:
        found = self._address_folded.get(address_id)
        if found is None:
            found = self._address_folded[address_id] = F.fold_address(self.address_text[address_id])
        return found

    def normal_address(self, address_id: int) -> str:
        found = self._address_normal.get(address_id)
        if found is None:
            found = self._address_normal[address_id] = F.normalize_address(self.address_text[address_id])
        return found

    def _address_level(self, ai: int, aj: int) -> int:
        # Folding is cheap and settles most pairs; the full normal form only the rest.
        level = _address_level(self.folded_address(ai), self.folded_address(aj), similar=False)
        if level == S.EXACT:
            return level
        return _address_level(self.normal_address(ai), self.normal_address(aj), similar=True)

    # --- comparing ---------------------------------------------------------------

    def score(self, i: int, j: int) -> float:
        return self._compare(i, j, None, None)

    def decision_score(self, i: int, j: int, threshold: float) -> float:
        """The score, or a lower bound at or above ``threshold`` when no field left can change the outcome.

        Pairs with the same valid ID number are most pairs. Whatever their
        other fields say they score at least :data:`SAME_NUMBER_FLOOR` (with
        the birth date inside the number), which is above any sensible
        threshold; below that, comparing their addresses (normalizing two
        spellings) would be most of the work while changing nothing. Such
        pairs are always joined, whatever the order, so clustering needs no
        more than the bound; :meth:`compare` always gives the full score.
        """
        code = self.id_code[i]
        if code and code == self.id_code[j]:
            floor = SAME_NUMBER_FLOOR if self.birth[i] else SAME_NUMBER_FLOOR - S.BIRTH_EXACT
            if floor >= threshold:
                return floor
        return self._compare(i, j, None, threshold)

    def compare(self, i: int, j: int) -> S.Comparison:
        """The full comparison of records ``i`` and ``j``: every field's level and weight."""
        out: list[S.FieldComparison] = []
        score = self._compare(i, j, out, None)
        return S.Comparison(score, tuple(out))

    def _compare(self, i: int, j: int, out: list[S.FieldComparison] | None, threshold: float | None) -> float:
        if self._name_weight is None or self._sound_weight is None:
            self.freeze()
        assert self._name_weight is not None and self._sound_weight is not None
        # ID number.
        ci, cj = self.id_code[i], self.id_code[j]
        if ci and cj:
            id_level, id_w = (S.EXACT, S.ID_EXACT) if ci == cj else (S.CONFLICT, S.ID_CONFLICT)
        elif ci or cj:
            other = j if ci else i
            cands = self.candidates.get(other)
            if cands is None:
                id_level, id_w = S.MISSING, 0.0
            elif (ci or cj) in cands:
                id_level, id_w = S.REPAIR, S.id_repair_weight(len(cands))
            else:
                id_level, id_w = S.DIFFERENT, S.ID_DIFFERENT
        else:
            ki, kj = self.candidates.get(i), self.candidates.get(j)
            if ki is None or kj is None:
                id_level, id_w = S.MISSING, 0.0
            elif set(ki).intersection(kj):
                id_level, id_w = S.REPAIR, S.ID_BOTH_REPAIRED
            else:
                id_level, id_w = S.DIFFERENT, S.ID_DIFFERENT
        # Name.
        ni, nj = self.name[i], self.name[j]
        if not ni or not nj:
            name_level, name_w = S.MISSING, 0.0
        elif ni == nj:
            name_level, name_w = S.EXACT, self._name_weight[ni]
        else:
            si, sj = self.name_sound[ni], self.name_sound[nj]
            if si == sj:
                name_level, name_w = S.PINYIN, self._sound_weight[si]
            elif _one_syllable_apart(self.sound_text[si], self.sound_text[sj]):
                name_level, name_w = S.SIMILAR, S.NAME_SIMILAR
            else:
                name_level, name_w = S.DIFFERENT, S.NAME_DIFFERENT
        # Birth date.
        bi, bj = self.birth[i], self.birth[j]
        if not bi or not bj:
            birth_level, birth_w = S.MISSING, 0.0
        elif bi == bj:
            birth_level, birth_w = S.EXACT, S.BIRTH_EXACT
        elif _dates_close(bi, bj):
            birth_level, birth_w = S.CLOSE, S.BIRTH_CLOSE
        else:
            birth_level, birth_w = S.DIFFERENT, S.BIRTH_DIFFERENT
        # Sex.
        xi, xj = self.sex[i], self.sex[j]
        if not xi or not xj:
            sex_level, sex_w = S.MISSING, 0.0
        elif xi == xj:
            sex_level, sex_w = S.EXACT, S.GENDER_AGREE
        else:
            sex_level, sex_w = S.DIFFERENT, S.GENDER_DIFFERENT
        # Phone.
        pi, pj = self.phone[i], self.phone[j]
        if not pi or not pj:
            phone_level, phone_w = S.MISSING, 0.0
        elif pi == pj:
            phone_level, phone_w = S.EXACT, S.PHONE_EXACT
        else:
            phone_level, phone_w = S.DIFFERENT, S.PHONE_DIFFERENT
        if (
            threshold is not None
            and id_level == S.EXACT
            and id_w + name_w + birth_w + sex_w + phone_w + _ADDRESS_LEAST >= threshold
        ):
            return id_w + name_w + birth_w + sex_w + phone_w + _ADDRESS_LEAST
        # Address.
        ai, aj = self.address[i], self.address[j]
        if not ai or not aj:
            address_level, address_w = S.MISSING, 0.0
        elif ai == aj:
            address_level, address_w = S.EXACT, S.ADDRESS_EXACT
        else:
            address_level = self._address_level(ai, aj)
            address_w = _ADDRESS_WEIGHTS[address_level]
        score = id_w + name_w + birth_w + sex_w + phone_w + address_w
        household = phone_level == S.EXACT or address_level == S.EXACT
        extra_w = 0.0
        if household:
            if name_level == S.EXACT or name_level == S.PINYIN:
                extra_w = S.NAME_IN_HOUSEHOLD
            elif name_level == S.MISSING and birth_level == S.EXACT:
                extra_w = S.BIRTH_IN_HOUSEHOLD_WITHOUT_NAME
            score += extra_w
        if out is not None:
            FC = S.FieldComparison
            out += (
                FC("id_number", id_level, id_w),
                FC("name", name_level, name_w),
                FC("birth_date", birth_level, birth_w),
                FC("gender", sex_level, sex_w),
                FC("phone", phone_level, phone_w),
                FC("address", address_level, address_w),
            )
            if extra_w:
                out.append(FC("household", S.HOUSEHOLD_NAME if extra_w > 0 else S.HOUSEHOLD_BIRTH, extra_w))
        return score

    # --- blocking ----------------------------------------------------------------

    def _id_keys(self, i: int) -> tuple[int, ...]:
        code = self.id_code[i]
        if code:
            return (code,)
        return self.candidates.get(i, ())

    def _sound(self, i: int) -> int:
        return self.name_sound[self.name[i]]

    def _packed_keys(self, kind: int, shift: int) -> list[int]:
        """``key << shift | record`` for every record with a key of blocking key ``kind``; keys are integers.

        The later keys (1 …) only matter for pairs in which at least one
        record has no valid number: two records with one number met through
        it, and two with different numbers are never one person. So they
        are given only to records whose key a record without a valid number
        also has, which keeps the sorts small.
        """
        packed: list[int] = []
        if kind == 0:
            packed += [code << shift | i for i, code in enumerate(self.id_code) if code]
            packed += [code << shift | i for i, codes in self.candidates.items() for code in codes]
            return packed
        high, low, scale = self._key_columns(kind)
        # A key is high·scale + low, for records that have both parts; low < scale.
        without = [i for i in self._without_number() if high[i] and low[i]]
        wanted = {high[i] * scale + low[i] for i in without}
        if not wanted:
            return packed
        # Only a record whose first part a wanted key has can have a wanted key:
        # for phones that is a fraction of the file, and the test costs less than a key.
        highs = {high[i] for i in without}
        n = len(self)
        # In slices, so that at ten million records the keys of all records
        # never exist at once; the comprehensions keep the per-record work in C.
        for start in range(0, n, KEY_SLICE):
            end = min(n, start + KEY_SLICE)
            records = [i for i, h in enumerate(high[start:end], start) if h in highs]
            keys = [high[i] * scale + low[i] for i in records]
            packed += [key << shift | i for i, key in zip(records, keys, strict=True) if key in wanted]
        return packed

    def _number_groups(self) -> tuple[array[int], array[int], array[int], dict[int, int]]:
        """The records grouped by valid number, for :meth:`_Pairs.by_number`.

        Each record's root (the first record of its number; itself without
        one), the roots and sizes of the groups of two or more, and for each
        repair candidate how many records have it as their valid number.
        """
        id_code = self.id_code
        n = len(id_code)
        # Assigning from the end leaves the smallest index of every number.
        first = dict(zip(reversed(id_code), range(n - 1, -1, -1), strict=True))
        first.pop(0, None)
        root_of = array("i", map(first.get, id_code, range(n)))
        size = Counter(root_of)
        groups = [(root, k) for root, k in size.items() if k > 1]
        valid_count = {
            code: size[first[code]] if code in first else 0
            for codes in self.candidates.values()
            for code in codes
        }
        return (
            root_of,
            array("i", [root for root, _ in groups]),
            array("i", [k for _, k in groups]),
            valid_count,
        )

    def _without_number(self) -> array[int]:
        """The records without a valid number (remembered once the table is frozen)."""
        found = self._cache.get("without_number")
        if found is None:
            found = array("i", [i for i, code in enumerate(self.id_code) if not code])
            if self._frozen:
                self._cache["without_number"] = found
        return found

    def _record_sounds(self) -> array[int]:
        """Every record's name sound id, 0 without a name (remembered once the table is frozen)."""
        found = self._cache.get("sound")
        if found is None:
            found = array("i", map(self.name_sound.__getitem__, self.name))
            if self._frozen:
                self._cache["sound"] = found
        return found

    def _key_columns(self, kind: int) -> tuple[Sequence[int], Sequence[int], int]:
        """The two per-record columns a key of kind 1 … 4 is made of, and the factor of the first."""
        sound = self._record_sounds()
        if kind == 1:
            return self.birth, sound, 16_777_216
        if kind == 2:
            return self.phone, sound, 16_777_216
        if kind == 3:
            return self.phone, self.birth, 1_048_576
        if kind == 4:
            return self._fingerprint_column(sound), sound, 16_777_216
        raise ValueError(kind)  # pragma: no cover

    def _fingerprint_column(self, sound: array[int]) -> array[int]:
        """Each record's address fingerprint id, for records whose name sounds like one without a number.

        Fingerprinting an address is the cost of this key, and only such
        records can share a key with a record without a number.
        """
        sounds = {sound[i] for i in self._without_number()}
        sounds.discard(0)
        needed = {a for a, s in zip(self.address, sound, strict=True) if a and s in sounds}
        by_address = array("i", [0]) * len(self.address_text)
        known = self._fingerprint
        todo = sorted(a for a in needed if a not in known)
        address_text, ids = self.address_text, self._fingerprint_ids
        texts = [F.address_fingerprint(address_text[a]) for a in todo]
        known.update(zip(todo, [ids.setdefault(t, len(ids)) if t else 0 for t in texts], strict=True))
        for address_id in needed:
            by_address[address_id] = known[address_id]
        return array("i", map(by_address.__getitem__, self.address))

    def _address_fingerprint(self, address_id: int) -> int:
        """An id of the :func:`~.fields.address_fingerprint` of an address (0 for none)."""
        found = self._fingerprint.get(address_id)
        if found is None:
            text = F.address_fingerprint(self.address_text[address_id])
            found = self._fingerprint_ids.setdefault(text, len(self._fingerprint_ids)) if text else 0
            self._fingerprint[address_id] = found
        return found

    def _shares_earlier_key(self, kind: int, i: int, j: int, oversized: Sequence[set[int]]) -> bool:
        """Whether a blocking key before ``kind`` already put ``i`` and ``j`` in one block."""
        if kind > 0:
            ki, kj = self._id_keys(i), self._id_keys(j)
            if ki and kj:
                common = set(ki).intersection(kj) - oversized[0]
                if common:
                    return True
        if kind > 1:
            b, s = self.birth[i], self._sound(i)
            if (
                b
                and s
                and b == self.birth[j]
                and s == self._sound(j)
                and b * 16_777_216 + s not in oversized[1]
            ):
                return True
        if kind > 2:
            p, s = self.phone[i], self._sound(i)
            if (
                p
                and s
                and p == self.phone[j]
                and s == self._sound(j)
                and p * 16_777_216 + s not in oversized[2]
            ):
                return True
        if kind > 3:
            p, b = self.phone[i], self.birth[i]
            if (
                p
                and b
                and p == self.phone[j]
                and b == self.birth[j]
                and p * 1_048_576 + b not in oversized[3]
            ):
                return True
        return False

    def blocks(self, kind: int, oversized: set[int]) -> Iterator[list[int]]:
        """The groups of records sharing a key of blocking key ``kind`` (BLOCKING_KEYS[kind]).

        Key and record are packed into one integer and the list is sorted:
        about 40 bytes an entry, where a dictionary of lists would take
        several times that at ten million records.
        """
        shift = max(1, len(self)).bit_length()
        return self._blocks_of(kind, self._sorted_keys(kind, shift), shift, oversized)

    def _sorted_keys(self, kind: int, shift: int) -> list[int]:
        packed = self._packed_keys(kind, shift)
        packed.sort()
        return packed

    @staticmethod
    def _blocks_of(kind: int, packed: list[int], shift: int, oversized: set[int]) -> Iterator[list[int]]:
        """The runs of one key in sorted packed keys; runs over the size limit go to ``oversized``."""
        limit = MAX_ID_BLOCK if kind == 0 else MAX_BLOCK
        mask = (1 << shift) - 1
        total = len(packed)
        start = 0
        while start < total:
            key = packed[start] >> shift
            end = start + 1
            while end < total and packed[end] >> shift == key:
                end += 1
            if end - start > 1:
                if end - start > limit:
                    oversized.add(key)
                else:
                    yield [v & mask for v in packed[start:end]]
            start = end


def _one_syllable_apart(a: str, b: str) -> bool:
    sa, sb = a.split(" "), b.split(" ")
    if len(sa) != len(sb) or len(sa) < 2:
        return False
    return sum(x != y for x, y in zip(sa, sb, strict=True)) == 1


def _dates_close(a: int, b: int) -> bool:
    """One of year, month and day differs, or day and month are swapped."""
    da, db = date.fromordinal(a), date.fromordinal(b)
    same = (da.year == db.year) + (da.month == db.month) + (da.day == db.day)
    return same == 2 or (da.year == db.year and da.month == db.day and da.day == db.month)


# The least an address can add to a score: disagreeing, or agreeing and so
# taking the household reading of a missing name.
_ADDRESS_LEAST = min(S.ADDRESS_DIFFERENT, S.ADDRESS_EXACT + S.BIRTH_IN_HOUSEHOLD_WITHOUT_NAME, 0.0)
# The least two records with one valid number (and so one birth date and sex)
# can score: every other field as far apart as it can be.
SAME_NUMBER_FLOOR = (
    S.ID_EXACT + S.BIRTH_EXACT + S.GENDER_AGREE + S.NAME_DIFFERENT + S.PHONE_DIFFERENT + _ADDRESS_LEAST
)
# The most two records with different valid numbers can score: every other
# field agreeing. Above it, such pairs need not be compared at all.
DIFFERENT_NUMBERS_CEILING = (
    S.ID_CONFLICT
    + S.NAME_MAX
    + S.BIRTH_EXACT
    + S.GENDER_AGREE
    + S.PHONE_EXACT
    + S.ADDRESS_EXACT
    + S.NAME_IN_HOUSEHOLD
)
_ADDRESS_WEIGHTS = {
    S.EXACT: S.ADDRESS_EXACT,
    S.SIMILAR: S.ADDRESS_SIMILAR,
    S.DIFFERENT: S.ADDRESS_DIFFERENT,
}


def _address_level(a: str, b: str, *, similar: bool) -> int:
    if a == b:
        return S.EXACT
    # One copy leaves out the province, city or county: the rest is the same address.
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 6 and long.endswith(short):
        return S.EXACT
    if similar and _bigram_dice(a, b) >= 0.8:
        return S.SIMILAR
    return S.DIFFERENT


def _bigram_dice(a: str, b: str) -> float:
    ga = {a[k : k + 2] for k in range(len(a) - 1)}
    gb = {b[k : k + 2] for k in range(len(b) - 1)}
    if not ga or not gb:
        return 0.0
    return 2 * len(ga & gb) / (len(ga) + len(gb))


@dataclass
class Linkage(Clusters):
    """What :func:`link` found: a cluster for every record and the pairs behind them."""

    table: PersonTable
    threshold: float
    # Per record, the number of the record whose id names its cluster (the smallest id in it).
    representative: array[int]
    # Accepted pairs (only when link() was asked to keep them): left has the smaller
    # record id; joined is 0 where the ID-number constraint refused the join.
    pair_left: array[int] = field(default_factory=lambda: array("i"))
    pair_right: array[int] = field(default_factory=lambda: array("i"))
    pair_score: array[float] = field(default_factory=lambda: array("d"))
    pair_joined: bytearray = field(default_factory=bytearray)
    stats: dict[str, float] = field(default_factory=dict)

    def pairs(self) -> Iterator[tuple[int, int, float, bool]]:
        """``(left, right, score used for clustering, joined)`` for every kept pair.

        For a pair of one valid number the score may be a lower bound (the
        address is not compared, see :meth:`PersonTable.decision_score`);
        :meth:`explain` gives the full comparison.
        """
        for k in range(len(self.pair_left)):
            yield self.pair_left[k], self.pair_right[k], self.pair_score[k], bool(self.pair_joined[k])

    def explain(self, left: int, right: int) -> S.Comparison:
        return self.table.compare(left, right)


class _Pairs:
    """Candidate pairs, block by block: pairs of one valid number joined at once, the rest kept.

    Pairs of one valid number can never be refused by the constraint and are
    joined as they are found; the others are compared after blocking (in
    parallel, see :meth:`score`) and joined strongest first.
    """

    def __init__(
        self,
        table: PersonTable,
        uf: ConstrainedUnionFind,
        linkage: Linkage,
        threshold: float,
        keep_pairs: bool,
    ) -> None:
        self.table, self.uf, self.linkage = table, uf, linkage
        self.threshold, self.keep_pairs = threshold, keep_pairs
        # Pairs that may be refused by the constraint: collected, then compared
        # by score(), then joined strongest first.
        self.left = array("i")
        self.right = array("i")
        self.scores = array("d")
        self.oversized: list[set[int]] = [set() for _ in BLOCKING_KEYS]
        self.compared = self.accepted = 0
        # A mistyped number has several keys: its pairs are compared once.
        self.seen: set[tuple[int, int]] = set()

    def by_number(
        self,
        root_of: array[int],
        group_roots: array[int],
        group_sizes: array[int],
        valid_count: dict[int, int],
    ) -> None:
        """Blocking key 0 without PAIRS.csv: records of one valid number are joined without comparing them.

        That is right whenever even their worst score reaches the threshold
        (:data:`SAME_NUMBER_FLOOR`), and it is most of the file: the records
        are grouped with dictionaries built in C (:meth:`PersonTable._number_groups`),
        not by sorting. Only blocks with a mistyped number in them, or of a
        number whose floor is too low, are compared pair by pair, as
        :meth:`block` does for every other key.
        """
        table, threshold = self.table, self.threshold
        id_code, candidates, birth = table.id_code, table.candidates, table.birth
        oversized = self.oversized[0]
        size = dict(zip(group_roots, group_sizes, strict=True))
        first = {id_code[root]: root for root in group_roots}
        candidate_count = Counter(code for codes in candidates.values() for code in codes)
        oversized.update(code for code, root in first.items() if size[root] > MAX_ID_BLOCK)
        oversized.update(code for code, k in candidate_count.items() if k + valid_count[code] > MAX_ID_BLOCK)
        # Numbers whose records are compared after all: a number without a
        # possible birth date in it has a lower floor.
        compare_all: set[int] = set()
        if threshold > SAME_NUMBER_FLOOR:
            compare_all = {code for code, root in first.items() if size[root] > 1}
        elif threshold > SAME_NUMBER_FLOOR - S.BIRTH_EXACT:
            compare_all = {code for code, b in zip(id_code, birth, strict=True) if code and not b}
        apart = {code for code in compare_all | oversized if code in first}
        if apart:
            for i in [i for i, code in enumerate(id_code) if code in apart]:
                root_of[i] = i
            for code in apart:
                size[first[code]] = 1
        self.uf.join_groups(root_of, size)
        del root_of, first
        # Pairs joined without comparing them count as compared and accepted.
        same = sum(k * (k - 1) for k in size.values()) // 2
        self.compared += same
        self.accepted += same
        del size
        # The blocks that still need pairs: of mistyped numbers, and of numbers whose floor is too low.
        members: dict[int, list[int]] = {}
        for i, codes in candidates.items():
            for code in codes:
                if code not in oversized:
                    members.setdefault(code, []).append(i)
        mistyped = {code: len(records) for code, records in members.items()}
        for code in compare_all - oversized:
            members.setdefault(code, [])
        for i in [i for i, code in enumerate(id_code) if code in members]:
            members[id_code[i]].append(i)
        for code in sorted(members):
            block = members[code]
            if len(block) < 2:
                continue
            # Mistyped records first: with every record when the number's own pairs
            # need comparing too, else only they are left sides.
            lefts = len(block) - 1 if code in compare_all else mistyped.get(code, 0)
            self.block(block, lefts)

    def block(self, block: list[int], lefts: int) -> None:
        """Take the pairs of a block of blocking key 0 whose first record is one of the first ``lefts``.

        Pairs of one valid number are compared and joined at once (their
        score is mostly the floor, so there is little to compare); the rest
        are only collected, to be compared by :meth:`score` in parallel. The
        later keys' pairs are found by :func:`_key_pairs`.
        """
        table, threshold, keep_pairs = self.table, self.threshold, self.keep_pairs
        id_code, candidates, record_id = table.id_code, table.candidates, table.record_id
        score = table.decision_score
        union = self.uf.union
        seen = self.seen
        linkage = self.linkage
        add_left, add_right = self.left.append, self.right.append
        size = len(block)
        found = accepted = 0
        for x in range(lefts):
            i = block[x]
            code = id_code[i]
            for y in range(x + 1, size):
                j = block[y]
                same_number = code and code == id_code[j]
                # Left is the smaller record id: what PAIRS.csv shows and ties are broken by.
                a, b = (i, j) if record_id[i] < record_id[j] else (j, i)
                if a in candidates or b in candidates:
                    # A mistyped number has several keys: its pairs are taken once.
                    if (a, b) in seen:
                        continue
                    seen.add((a, b))
                found += 1
                if not same_number:
                    add_left(a)
                    add_right(b)
                    continue
                s = score(a, b, threshold)
                if s < threshold:
                    continue
                accepted += 1
                union(a, b)
                if keep_pairs:
                    linkage.pair_left.append(a)
                    linkage.pair_right.append(b)
                    linkage.pair_score.append(s)
                    linkage.pair_joined.append(1)
        self.compared += found
        self.accepted += accepted

    def take(self, kind: int, found: _KeyPairs) -> None:
        """The pairs a later blocking key found, to be compared with the rest."""
        self.left += found.left
        self.right += found.right
        self.compared += len(found.left)
        self.oversized[kind] |= found.oversized

    def score(self, processes: int) -> None:
        """Compare the collected pairs (in ``processes`` processes) and keep those reaching the threshold."""
        table, threshold = self.table, self.threshold
        left, right = self.left, self.right
        total = len(left)
        chunks = max(1, -(-total // SCORE_CHUNK))
        if total < PARALLEL_MIN_PAIRS:
            processes = 1

        def work(k: int) -> array[float]:
            score = table.decision_score
            end = min(total, (k + 1) * SCORE_CHUNK)
            return array("d", [score(left[x], right[x], threshold) for x in range(k * SCORE_CHUNK, end)])

        scores = array("d")
        for part in map_chunks(work, chunks, processes):
            scores += part
        kept_left, kept_right, kept_scores = array("i"), array("i"), array("d")
        for a, b, s in zip(left, right, scores, strict=True):
            if s >= threshold:
                kept_left.append(a)
                kept_right.append(b)
                kept_scores.append(s)
        self.accepted += len(kept_scores)
        self.left, self.right, self.scores = kept_left, kept_right, kept_scores


@dataclass
class _KeyPairs:
    """The pairs a blocking key after the first adds, and its blocks over the size limit."""

    left: array[int]
    right: array[int]
    oversized: set[int]


def _key_pairs(
    table: PersonTable, kind: int, shift: int, threshold: float, earlier: Sequence[set[int]]
) -> _KeyPairs:
    """The pairs blocking key ``kind`` (1 …) puts in one block and no earlier key did.

    Pairs with one valid number were met through it, and pairs with two
    different numbers can never reach the threshold. What an earlier key met
    depends only on the records and on that key's skipped blocks
    (``earlier[k]`` for key ``k``), so the keys are worked through in parallel.
    """
    oversized = [*earlier[:kind], set()]
    record_id, id_code = table.record_id, table.id_code
    shares = table._shares_earlier_key
    skip_two_numbers = threshold > DIFFERENT_NUMBERS_CEILING
    left, right = array("i"), array("i")
    add_left, add_right = left.append, right.append
    for block in table._blocks_of(kind, table._sorted_keys(kind, shift), shift, oversized[kind]):
        size = len(block)
        for x in range(size - 1):
            i = block[x]
            code = id_code[i]
            for y in range(x + 1, size):
                j = block[y]
                if code and (code == id_code[j] or (skip_two_numbers and id_code[j])):
                    continue
                if shares(kind, i, j, oversized):
                    continue
                # Left is the smaller record id: what PAIRS.csv shows and ties are broken by.
                if record_id[i] < record_id[j]:
                    add_left(i)
                    add_right(j)
                else:
                    add_left(j)
                    add_right(i)
    return _KeyPairs(left, right, oversized[kind])


def build_table(rows: Iterable[Sequence[str]], *, today: date | None = None) -> PersonTable:
    """A table from rows of (record_id, name, id_number, gender, birth_date, phone, address)."""
    table = PersonTable(today=today)
    add = table.add
    for row in rows:
        add(*row)
    table.freeze()
    return table


def link(
    table: PersonTable,
    *,
    threshold: float = S.DEFAULT_THRESHOLD,
    progress: Progress = _quiet,
    keep_pairs: bool = True,
    processes: int = 1,
) -> Linkage:
    """Block, compare and cluster the records of ``table`` (see the module docstring).

    Raises :class:`DuplicateRecordId` if two records share an id. With
    ``keep_pairs`` false only the clusters are kept, which saves memory in
    big runs that do not write PAIRS.csv. With ``processes`` above 1 the
    comparing is shared with forked helper processes; the result is the same.
    """
    with gc_paused():
        return _link(table, threshold, progress, keep_pairs, processes)


def _link(
    table: PersonTable, threshold: float, progress: Progress, keep_pairs: bool, processes: int
) -> Linkage:
    table.freeze()
    n = len(table)
    if n < PARALLEL_MIN_RECORDS:
        processes = 1
    started = time.perf_counter()
    stats: dict[str, float] = {"records": n}
    record_id = table.record_id
    check_unique_ids(record_id)

    linkage = Linkage(table, threshold, array("i"))
    uf = ConstrainedUnionFind(n, table.id_code, table.candidates)
    pairs = _Pairs(table, uf, linkage, threshold, keep_pairs)
    oversized = pairs.oversized
    # The blocking keys are independent of each other: their keys and, for the later
    # ones, their pairs are made in parallel, the costliest (address fingerprints,
    # kind 4) first. A later key's pairs are made as if no earlier key had skipped a
    # block; when one did (rare), they are made again below, knowing which.
    shift = max(1, n).bit_length()
    order = [4, 1, 2, 3] if keep_pairs else [0, 4, 1, 2, 3]
    assumed: list[set[int]] = [set() for _ in BLOCKING_KEYS]

    def make(task: int) -> Any:
        kind = order[task]
        if kind == 0:
            return table._number_groups()
        return _key_pairs(table, kind, shift, threshold, assumed)

    made = dict(zip(order, map_chunks(make, len(order), processes), strict=True))
    progress("分块键和候选对已生成")
    for kind, key_name in enumerate(BLOCKING_KEYS):
        before = pairs.compared
        if kind == 0 and not keep_pairs:
            pairs.by_number(*made.pop(0))
        elif kind == 0:
            for block in table._blocks_of(0, table._sorted_keys(0, shift), shift, oversized[0]):
                pairs.block(block, len(block) - 1)
        else:
            found = made.pop(kind)
            if any(oversized[:kind]):
                found = _key_pairs(table, kind, shift, threshold, oversized)
            pairs.take(kind, found)
        stats[f"pairs_{key_name}"] = pairs.compared - before
        progress(
            f"分块键 {key_name}：新增候选对 {pairs.compared - before:,}，累计 {pairs.compared:,}，"
            f"超大块 {len(oversized[kind]):,} 个"
        )
    pairs.score(processes)
    progress(f"比较完成：{pairs.compared:,} 个候选对中 {pairs.accepted:,} 个达到阈值")
    left, right, scores = pairs.left, pairs.right, pairs.scores
    stats["candidate_pairs"] = pairs.compared
    stats["accepted_pairs"] = pairs.accepted
    stats["oversized_blocks"] = sum(len(o) for o in oversized)

    # Strongest first; ties by the records' ids, so that input order does not matter
    # (a pair's two ids are unique to it, so the records' numbers are never compared).
    id_of = record_id.__getitem__
    by_strength = sorted(
        zip(map(operator.neg, scores), map(id_of, left), map(id_of, right), left, right, strict=True)
    )
    union = uf.union
    for negative, _, _, a, b in by_strength:
        joined = union(a, b)
        if keep_pairs:
            linkage.pair_left.append(a)
            linkage.pair_right.append(b)
            linkage.pair_score.append(-negative)
            linkage.pair_joined.append(joined)
    del by_strength
    stats["refused_pairs"] = uf.refused

    representative = representatives(uf.roots(), record_id)
    linkage.representative = representative
    stats["clusters"] = sum(map(operator.eq, representative, range(n)))
    stats["seconds"] = time.perf_counter() - started
    linkage.stats = stats
    progress(
        f"聚类完成：{n:,} 条记录归入 {int(stats['clusters']):,} 个聚类，"
        f"因身份证号冲突拒绝合并 {uf.refused:,} 对"
    )
    return linkage
