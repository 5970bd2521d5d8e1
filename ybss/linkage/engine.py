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
   key and a scan of the runs, so no step is quadratic in the number of
   records; a pair found by an earlier key is not compared again.
3. **Compare** every candidate pair field by field (:mod:`.scoring`) and
   keep those scoring at least the threshold.
4. **Cluster** the kept pairs strongest first with the ID-number constraint
   (:mod:`.cluster`).

``docs/linkage.md`` has the reasoning and the measured figures.
"""

from __future__ import annotations

import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from . import fields as F
from . import scoring as S
from .cluster import ConstrainedUnionFind

Progress = Callable[[str], None]
COLUMNS = ("record_id", "name", "id_number", "gender", "birth_date", "phone", "address")

# Blocks bigger than this are not compared pair by pair: a key shared by
# hundreds of records (a phone number on a landlord's whole spreadsheet) says
# little, and its pairs would cost more than the rest of the file.
MAX_BLOCK = 200
MAX_ID_BLOCK = 1000
BLOCKING_KEYS = ("id_number", "birth_date+name", "phone+name", "phone+birth_date", "address+name")


_NO_CANDIDATES: tuple[int, ...] = ()
_NO_ID: tuple[int, str, tuple[int, ...]] = (F.ID_MISSING, "", _NO_CANDIDATES)


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
        self.address_text: list[str] = [""]
        self._address_folded: dict[int, str] = {}
        self._address_normal: dict[int, str] = {}
        self._name_ids: dict[str, int] = {"": 0}
        self._raw_names: dict[str, int] = {"": 0}
        self._sound_ids: dict[str, int] = {"": 0}
        self._address_ids: dict[str, int] = {"": 0}
        self._birth_of_digits: dict[str, int] = {}
        self._name_weight: array[float] | None = None
        self._sound_weight: array[float] | None = None
        self._fingerprint: dict[int, int] = {}
        self._fingerprint_ids: dict[str, int] = {"": 0}

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
        """Prepare records given as (record_id, name, id_number, gender, birth_date, phone, address).

        The loop is written for speed, since it runs once per record: the
        common case (a valid 18-digit number in ASCII, a plain mobile number, a
        name and an address seen before) takes no function call beyond the
        dictionary look-ups.
        """
        if self._frozen:
            raise RuntimeError("PersonTable.freeze() was called: no more records can be added")
        today = self.today
        check_chars = F.CHECK_CHARS
        check_value = F.check_value
        parse_id = F.parse_id
        births = self._birth_of_digits
        raw_names = self._raw_names
        address_ids = self._address_ids
        address_text = self.address_text
        candidates_of = self.candidates
        add_rid = self.record_id.append
        add_status = self.id_status.append
        add_code = self.id_code.append
        add_birth = self.birth.append
        add_sex = self.sex.append
        add_name = self.name.append
        add_phone = self.phone.append
        add_address = self.address.append
        index = len(self.record_id)
        for record_id, name, id_number, gender, birth_date, phone, address in rows:
            if (
                len(id_number) == 18
                and id_number.isascii()
                and id_number[:17].isdigit()
                and check_chars[check_value(id_number[:17])] == id_number[17]
            ):
                status, number, candidates = F.ID_VALID, id_number, _NO_CANDIDATES
            elif id_number:
                status, number, candidates = parse_id(id_number, today=today)
            else:
                status, number, candidates = _NO_ID
            if number:
                code = int(number[:17]) * 11 + check_chars.index(number[17])
                birth = births.get(number[6:14], -1)
                if birth < 0:
                    birth = F.date_ordinal(number[6:14])
                    birth = births[number[6:14]] = birth if birth >= F.EARLIEST_BIRTH else 0
                sex = 1 if (ord(number[16]) - 48) % 2 else 2
            else:
                code = 0
                birth = F.parse_birth_date(birth_date) if birth_date else 0
                sex = F.parse_gender(gender) if gender else 0
                if candidates:
                    candidates_of[index] = candidates
                    # What every candidate agrees on is as good as a valid number's.
                    if not birth:
                        found = {F.birth_of_id(c) for c in candidates}
                        birth = found.pop() if len(found) == 1 else 0
                    if not sex:
                        found = {F.sex_of_id(c) for c in candidates}
                        sex = found.pop() if len(found) == 1 else 0
            name_id = raw_names.get(name)
            if name_id is None:
                name_id = self._intern_name(name)
            if len(phone) == 11 and phone.isdigit() and phone.isascii() and phone[0] == "1":
                phone_key = int(phone)
            else:
                phone_key = F.phone_key(phone) if phone else 0
            address_id = address_ids.get(address)
            if address_id is None:
                stripped = address.strip()
                address_id = address_ids.get(stripped)
                if address_id is None:
                    address_id = address_ids[stripped] = len(address_text)
                    address_text.append(stripped)
                address_ids[address] = address_id
            add_rid(record_id)
            add_status(status)
            add_code(code)
            add_birth(birth)
            add_sex(sex)
            add_name(name_id)
            add_phone(phone_key)
            add_address(address_id)
            index += 1

    def absorb(self, other: PersonTable) -> None:
        """Append the records of ``other`` (read in another process), renumbering its names and addresses."""
        if self._frozen or other._frozen:
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
        self.name += array("i", [name_map[x] for x in other.name])
        self.address += array("i", [address_map[x] for x in other.address])
        for i, cands in other.candidates.items():
            self.candidates[offset + i] = cands

    def _intern_name(self, raw: str) -> int:
        normal = F.normalize_name(raw)
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
        self._name_weight = array(
            "d",
            (
                S.name_weight(c, n, common=t in S.COMMON_NAMES)
                for c, t in zip(self.name_count, self.name_text, strict=True)
            ),
        )
        self._sound_weight = array(
            "d",
            (
                S.name_weight(c, n, common=t in common_sounds) - S.NAME_PINYIN_PENALTY
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

    def _keys(self, kind: int) -> Iterator[tuple[int, int]]:
        """``(key, record)`` for every record with a key of blocking key ``kind``; keys are integers.

        The later keys (1 …) only matter for pairs in which at least one
        record has no valid number: two records with one number met through
        it, and two with different numbers are never one person. So they
        are given only to records whose key a record without a valid number
        also has, which keeps the sorts small.
        """
        if kind == 0:
            for i, code in enumerate(self.id_code):
                if code:
                    yield code, i
            for i, cands in self.candidates.items():
                for code in cands:
                    yield code, i
            return
        key_of = self._key_function(kind)
        id_code = self.id_code
        without_number = [i for i in range(len(self)) if not id_code[i]]
        wanted = {key_of(i) for i in without_number}
        wanted.discard(0)
        if not wanted:
            return
        records: Iterable[int] = range(len(self))
        if kind == 4:
            # Folding every address for its fingerprint is the cost here: first
            # keep only the records whose name sounds like one of those wanted.
            sound, name = self.name_sound, self.name
            sounds = {sound[name[i]] for i in without_number}
            records = [i for i in records if sound[name[i]] in sounds]
        for i in records:
            key = key_of(i)
            if key in wanted:
                yield key, i

    def _key_function(self, kind: int) -> Callable[[int], int]:
        sound, name, birth, phone, address = self.name_sound, self.name, self.birth, self.phone, self.address
        if kind == 1:
            return lambda i: birth[i] * 16_777_216 + sound[name[i]] if birth[i] and name[i] else 0
        if kind == 2:
            return lambda i: phone[i] * 16_777_216 + sound[name[i]] if phone[i] and name[i] else 0
        if kind == 3:
            return lambda i: phone[i] * 1_048_576 + birth[i] if phone[i] and birth[i] else 0
        if kind == 4:
            fingerprint = self._address_fingerprint

            def address_key(i: int) -> int:
                if not address[i] or not name[i]:
                    return 0
                f = fingerprint(address[i])
                return f * 16_777_216 + sound[name[i]] if f else 0

            return address_key
        raise ValueError(kind)  # pragma: no cover

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
        limit = MAX_ID_BLOCK if kind == 0 else MAX_BLOCK
        shift = max(1, len(self)).bit_length()
        mask = (1 << shift) - 1
        packed = [key << shift | i for key, i in self._keys(kind)]
        packed.sort()
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


class DuplicateRecordId(ValueError):
    """Two records share a record id; ``first`` and ``second`` are their numbers in input order."""

    def __init__(self, first: int, second: int, record_id: str) -> None:
        super().__init__(f"record_id {record_id!r} occurs twice")
        self.first, self.second, self.record_id = first, second, record_id


@dataclass
class Linkage:
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

    def cluster_id(self, i: int) -> str:
        return self.table.record_id[self.representative[i]]

    def clusters(self) -> list[list[str]]:
        """Every cluster as a sorted list of record ids (singletons included)."""
        groups: dict[int, list[str]] = {}
        for i, rep in enumerate(self.representative):
            groups.setdefault(rep, []).append(self.table.record_id[i])
        return sorted(sorted(g) for g in groups.values())

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
) -> Linkage:
    """Block, compare and cluster the records of ``table`` (see the module docstring).

    Raises :class:`DuplicateRecordId` if two records share an id. With
    ``keep_pairs`` false only the clusters are kept, which saves memory in
    big runs that do not write PAIRS.csv.
    """
    table.freeze()
    n = len(table)
    started = time.perf_counter()
    stats: dict[str, float] = {"records": n}
    record_id = table.record_id
    if len(set(record_id)) != n:
        seen_at: dict[str, int] = {}
        for i, rid in enumerate(record_id):
            if rid in seen_at:
                raise DuplicateRecordId(seen_at[rid], i, rid)
            seen_at[rid] = i

    linkage = Linkage(table, threshold, array("i"))
    uf = ConstrainedUnionFind(n, table.id_code, table.candidates)
    # Pairs that may be refused by the constraint wait to be joined strongest
    # first; pairs of one valid number never can be, and are joined at once.
    left = array("i")
    right = array("i")
    scores = array("d")
    oversized: list[set[int]] = [set() for _ in BLOCKING_KEYS]
    compared = accepted = 0
    score = table.decision_score
    shares = table._shares_earlier_key
    id_code = table.id_code
    candidates = table.candidates
    union = uf.union
    birth = table.birth
    skip_two_numbers = threshold > DIFFERENT_NUMBERS_CEILING

    for kind, key_name in enumerate(BLOCKING_KEYS):
        seen: set[tuple[int, int]] = set()
        found = 0
        for block in table.blocks(kind, oversized[kind]):
            size = len(block)
            lefts = size - 1
            if kind == 0 and not keep_pairs:
                # Records of one valid number are joined without comparing them
                # when even their worst score would reach the threshold; only the
                # mistyped numbers in the block are compared, with everyone.
                valid = [r for r in block if id_code[r]]
                same = len(valid) * (len(valid) - 1) // 2
                floor = SAME_NUMBER_FLOOR if valid and birth[valid[0]] else SAME_NUMBER_FLOOR - S.BIRTH_EXACT
                if same and floor >= threshold:
                    for r in valid[1:]:
                        union(valid[0], r)
                    found += same
                    accepted += same
                    block = [r for r in block if not id_code[r]] + valid
                    lefts = size - len(valid)
            for x in range(lefts):
                i = block[x]
                for y in range(x + 1, size):
                    j = block[y]
                    code = id_code[i]
                    same_number = code and code == id_code[j]
                    if kind:
                        # Pairs with one number were met through it; pairs with two
                        # different numbers can never reach the threshold.
                        if same_number or (skip_two_numbers and code and id_code[j]):
                            continue
                        if shares(kind, i, j, oversized):
                            continue
                    # Left is the smaller record id: what PAIRS.csv shows and ties are broken by.
                    a, b = (i, j) if record_id[i] < record_id[j] else (j, i)
                    if kind == 0 and (a in candidates or b in candidates):
                        # A mistyped number has several keys: compare its pairs once.
                        if (a, b) in seen:
                            continue
                        seen.add((a, b))
                    found += 1
                    s = score(a, b, threshold)
                    if s < threshold:
                        continue
                    accepted += 1
                    if same_number:
                        union(a, b)
                        if keep_pairs:
                            linkage.pair_left.append(a)
                            linkage.pair_right.append(b)
                            linkage.pair_score.append(s)
                            linkage.pair_joined.append(1)
                    else:
                        left.append(a)
                        right.append(b)
                        scores.append(s)
        compared += found
        stats[f"pairs_{key_name}"] = found
        progress(
            f"分块键 {key_name}：新增候选对 {found:,}，累计 {compared:,}，达到阈值 {accepted:,}，"
            f"超大块 {len(oversized[kind]):,} 个"
        )
    stats["candidate_pairs"] = compared
    stats["accepted_pairs"] = accepted
    stats["oversized_blocks"] = sum(len(o) for o in oversized)

    # Strongest first; ties by the records' ids, so that input order does not matter.
    by_strength = sorted(
        range(len(scores)), key=lambda k: (-scores[k], record_id[left[k]], record_id[right[k]])
    )
    for k in by_strength:
        a, b = left[k], right[k]
        joined = union(a, b)
        if keep_pairs:
            linkage.pair_left.append(a)
            linkage.pair_right.append(b)
            linkage.pair_score.append(scores[k])
            linkage.pair_joined.append(joined)
    del by_strength
    stats["refused_pairs"] = uf.refused

    find = uf.find
    roots = array("i", [find(i) for i in range(n)])
    best = array("i", [-1]) * n
    for i, root in enumerate(roots):
        b = best[root]
        if b < 0 or record_id[i] < record_id[b]:
            best[root] = i
    representative = array("i", [best[root] for root in roots])
    del roots, best
    linkage.representative = representative
    stats["clusters"] = sum(1 for i in range(n) if representative[i] == i)
    stats["seconds"] = time.perf_counter() - started
    linkage.stats = stats
    progress(
        f"聚类完成：{n:,} 条记录归入 {int(stats['clusters']):,} 个聚类，"
        f"因身份证号冲突拒绝合并 {uf.refused:,} 对"
    )
    return linkage
