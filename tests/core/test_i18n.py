import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext


def test_chinese_is_the_default_and_english_is_available() -> None:
    with translation.override("zh-hans"):
        assert gettext("搜索") == "搜索"
    with translation.override("en"):
        assert gettext("搜索") == "Search"
        assert gettext("户室") == "Room"


@pytest.mark.django_db
def test_language_switch_changes_the_pages(alice_client: Client) -> None:
    page = alice_client.get("/addresses/search/").content.decode()
    assert "退出" in page
    alice_client.post("/i18n/setlang/", {"language": "en", "next": "/addresses/search/"})
    page = alice_client.get("/addresses/search/").content.decode()
    assert "Log out" in page and 'lang="en"' in page
