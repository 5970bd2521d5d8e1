from typing import Any

import pytest
from django.test import Client, override_settings

from ybss.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db


def _login(client: Client, username: str, password: str) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_successful_and_failed_logins_are_audited(alice: Any) -> None:
    client = Client()
    assert _login(client, "alice", "wrong-password").status_code == 200
    assert _login(client, "alice", "alice-password-1").status_code == 302
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", "actor_name"))
    assert actions == [(Action.LOGIN_FAILED, "alice"), (Action.LOGIN, "alice")]
    assert not AuditEvent.objects.filter(extra__icontains="wrong-password").exists()


def test_repeated_failures_lock_the_account(alice: Any, settings: Any) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "alice", "wrong-password")
    locked = _login(client, "alice", "alice-password-1")
    assert locked.status_code == 429
    assert "账号已暂时锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_session_expires_after_inactivity(alice: Any) -> None:
    client = Client()
    with override_settings(SESSION_COOKIE_AGE=1):
        _login(client, "alice", "alice-password-1")
    session = client.session
    session.set_expiry(-1)  # as if the inactivity window had passed
    session.save()
    response = client.get("/addresses/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_forms_refuse_a_post_without_csrf_token(alice: Any, community: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(
        f"/addresses/d/{community.code}/nodes/new/", {"kind": "compound", "name": "阳光小区"}
    )
    assert response.status_code == 403


def test_password_validators_refuse_weak_passwords() -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("12345678", "password", "short"):
        with pytest.raises(ValidationError):
            validate_password(weak)


def test_secure_settings_outside_debug() -> None:
    import subprocess
    import sys

    code = (
        "from django.conf import settings; print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE,"
        " settings.SECURE_HSTS_SECONDS, settings.SESSION_COOKIE_HTTPONLY)"
    )
    env = {
        "SECRET_KEY": "x",
        "YBSS_HTTPS": "1",
        "DJANGO_SETTINGS_MODULE": "ybss.settings",
        "YBSS_ENV_FILE": "/nonexistent",
        "PATH": "/usr/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["True", "True", "31536000", "True"]
    env.pop("SECRET_KEY")
    failed = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True
    )
    assert failed.returncode != 0 and "SECRET_KEY must be set" in failed.stderr
