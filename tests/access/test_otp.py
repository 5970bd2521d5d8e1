from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ybss.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db


def _unthrottle(device: TOTPDevice) -> None:
    # django-otp slows retries after a wrong code; the test does not wait out the delay.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_setup_then_every_page_needs_the_code(alice: Any) -> None:
    client = Client()
    client.force_login(alice)
    page = client.get("/accounts/otp/setup/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    assert (
        client.post(
            "/accounts/otp/setup/", {"token": "000000" if _code(device) != "000000" else "111111"}
        ).status_code
        == 400
    )
    _unthrottle(device)
    assert client.post("/accounts/otp/setup/", {"token": _code(device)}).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(action=Action.ACCESS_CHANGE, extra__second_factor="enabled").exists()

    fresh = Client()
    assert (
        fresh.post("/accounts/login/", {"username": "alice", "password": "alice-password-1"}).status_code
        == 302
    )
    response = fresh.get("/addresses/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/")
    assert fresh.get("/api/v1/addresses/").status_code == 403
    assert (
        fresh.post("/accounts/otp/", {"token": "12345", "next": "/addresses/"}).status_code == 400
    )  # too short
    wrong = f"{(int(_code(device)) + 1) % 1000000:06d}"
    assert fresh.post("/accounts/otp/", {"token": wrong, "next": "/addresses/"}).status_code == 400
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED, extra__second_factor="totp").exists()
    _unthrottle(device)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # the setup already used this time step
    device.refresh_from_db()
    response = fresh.post("/accounts/otp/", {"token": _code(device), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert fresh.get("/addresses/").status_code == 302  # now on to the start page, not the code page
    assert fresh.get("/api/v1/addresses/").status_code == 200


def test_users_without_a_device_are_not_asked(alice_client: Client) -> None:
    assert alice_client.get("/addresses/").status_code == 302
    assert alice_client.get("/addresses/d/130731100/").status_code == 200
