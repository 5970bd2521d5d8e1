from __future__ import annotations

from django.db import models

from ybss.access import crypto
from ybss.addresses.models import AddressNode

ID_NUMBER = crypto.ProtectedField("testapp.Resident", "id_number")
PHONE = crypto.ProtectedField("testapp.Resident", "phone")


class Resident(models.Model):
    name = models.CharField(max_length=50)
    address = models.ForeignKey(AddressNode, on_delete=models.PROTECT)
    id_number_enc = models.TextField(blank=True)
    id_number_index = models.CharField(max_length=64, blank=True, db_index=True)
    phone_enc = models.TextField(blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)

    objects: models.Manager[Resident] = models.Manager()

    def __str__(self) -> str:
        return f"resident #{self.pk}"

    def set_id_number(self, value: str) -> None:
        self.id_number_enc, self.id_number_index = crypto.seal(ID_NUMBER, value)

    def set_phone(self, value: str) -> None:
        self.phone_enc, self.phone_index = crypto.seal(PHONE, value)

    @property
    def id_number(self) -> str:
        return crypto.open_value(ID_NUMBER, self.id_number_enc)

    @property
    def phone(self) -> str:
        return crypto.open_value(PHONE, self.phone_enc)


class PlainResident(models.Model):
    """The same record with no encryption: the baseline for bench/audit.py."""

    name = models.CharField(max_length=50)
    address = models.ForeignKey(AddressNode, on_delete=models.PROTECT)
    id_number = models.CharField(max_length=18)
    phone = models.CharField(max_length=20)

    objects: models.Manager[PlainResident] = models.Manager()

    def __str__(self) -> str:
        return f"plain resident #{self.pk}"
