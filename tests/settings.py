"""Settings for the test suite: the real settings plus a throwaway secret."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("YBSS_ENV_FILE", "/nonexistent")
# Throwaway keys for the suite only (32 zero-ish bytes would also do; these are random-looking).
os.environ.setdefault("YBSS_FIELD_KEY", "t1:dGVzdC1vbmx5LWRhdGEta2V5LTMyLWJ5dGVzLWxvbmc=")
os.environ.setdefault("YBSS_INDEX_KEY", "dGVzdC1vbmx5LWluZGV4LWtleS0zMi1ieXRlcy1sb24=")

from ybss.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]  # noqa: F405
ROOT_URLCONF = "tests.urls"

# Hashing strength is not under test; a slow hasher only slows the suite.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Connections held open by the live server's threads would block dropping the
# PostgreSQL test database at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# Imports run inline in tests, with their uploads in a throwaway directory.
YBSS_IMPORT_BACKGROUND = False
YBSS_IMPORT_DIR = Path(tempfile.mkdtemp(prefix="ybss-test-imports-"))
