"""Encryption at rest for identity numbers and phones, wired to the settings.

Models keep two columns per protected value: ``<name>_enc`` (AES-GCM
ciphertext, ybss.lib.fieldcrypt) and ``<name>_index`` (keyed HMAC of the
normalized value) for exact lookup. Each app registers its protected columns
here so ``ybss keys rotate`` can find every one of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from django.apps import apps
from django.conf import settings
from django.db import models, transaction

from ybss.lib.fieldcrypt import KeyRing


@dataclass(frozen=True)
class ProtectedField:
    model_label: str  # "people.Person"
    name: str  # "id_number": columns id_number_enc and id_number_index

    @property
    def context(self) -> str:
        return f"{self.model_label}.{self.name}"

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)


_REGISTRY: list[ProtectedField] = []


def register(model_label: str, name: str) -> ProtectedField:
    field = ProtectedField(model_label, name)
    if field not in _REGISTRY:
        _REGISTRY.append(field)
    return field


def registered() -> list[ProtectedField]:
    return list(_REGISTRY)


@lru_cache(maxsize=1)
def _ring(field_key: str, index_key: str) -> KeyRing:
    return KeyRing.from_strings(field_key or None, index_key or None)


def keyring() -> KeyRing:
    """Built from the settings on first use; a missing key fails loudly, naming the setting."""
    return _ring(settings.YBSS_FIELD_KEY, settings.YBSS_INDEX_KEY)


def seal(field: ProtectedField, value: str) -> tuple[str, str]:
    """(ciphertext, blind index) for a normalized value; empty stays empty."""
    if not value:
        return "", ""
    ring = keyring()
    return ring.encrypt(value, field.context), ring.blind_index(value, field.context)


def open_value(field: ProtectedField, token: str) -> str:
    return _decryptor(keyring(), field.context)(token) if token else ""


@lru_cache(maxsize=64)
def _decryptor(ring: KeyRing, context: str) -> Callable[[str], str]:
    """One field's ``decrypt``, set up once: a masked list opens a hundred values a page."""
    return ring.decryptor(context)


def index_values(field: ProtectedField, value: str) -> tuple[str, ...]:
    """Every index the value may be stored under (more than one during an index-key change)."""
    return keyring().blind_indexes(value, field.context)


class Sealer:
    """``seal`` and ``index_values`` for many values of one field: a bulk import's thousands of rows.

    Each value gets the same ciphertext format, its own nonce and the same
    indexes as through the single-value functions; only the per-field setup is
    done once.
    """

    def __init__(self, field: ProtectedField) -> None:
        ring = keyring()
        self.encrypt = ring.encryptor(field.context)
        self.indexes = ring.indexer(field.context)

    def index(self, value: str) -> str:
        """The index a value is stored under (the current index key's)."""
        return self.indexes(value)[0]

    def seal(self, value: str) -> tuple[str, str]:
        if not value:
            return "", ""
        return self.encrypt(value), self.indexes(value)[0]


@dataclass
class RotationReport:
    field: str
    checked: int = 0
    rotated: int = 0


def rotate(batch: int = 500) -> Iterator[RotationReport]:
    """Re-encrypt every value not under the current data key, in small transactions.

    Small batches keep row locks short, so the application keeps working while
    this runs. Each new ciphertext is decrypted once before it is written, so
    a bad key can never replace readable data with unreadable data. Every row
    is decrypted once, which also proves the whole column is still readable.
    """
    ring = keyring()
    for field in registered():
        model = field.model
        enc, idx = f"{field.name}_enc", f"{field.name}_index"
        # Some protected values are never looked up (a campaign visit's captured data): no index.
        indexed = any(f.name == idx for f in model._meta.concrete_fields)
        report = RotationReport(field.context)
        last_pk = 0
        while True:
            with transaction.atomic():
                rows = list(
                    model._default_manager.select_for_update()
                    .filter(pk__gt=last_pk)
                    .exclude(**{enc: ""})
                    .order_by("pk")
                    .values_list("pk", enc, idx if indexed else enc)[:batch]
                )
                if not rows:
                    break
                for pk, token, index in rows:
                    report.checked += 1
                    plain = ring.decrypt(token, field.context)
                    # The index is rebuilt too, so listing a new index key first and
                    # rotating also moves every row to it.
                    new_index = ring.blind_index(plain, field.context) if indexed else index
                    if not ring.needs_rotation(token) and index == new_index:
                        continue
                    new = ring.reencrypt(token, field.context)
                    if ring.decrypt(new, field.context) != plain:  # pragma: no cover - defensive
                        raise RuntimeError(f"{field.context} #{pk} 重新加密后无法解密，已中止")
                    changes = {enc: new, idx: new_index} if indexed else {enc: new}
                    model._default_manager.filter(pk=pk).update(**changes)
                    report.rotated += 1
                last_pk = rows[-1][0]
        yield report
