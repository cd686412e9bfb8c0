"""Profile URLs in the forms people paste (plain pytest, no database)."""

import pytest

from odoo.addons.crm_social_messages.utils.errors import SocialError, with_retries
from odoo.addons.crm_social_messages.utils.profiles import Profile, parse_profile_url


@pytest.mark.parametrize("url, expected", [
    ("https://vk.com/id123", Profile("vk", "id", "123")),
    ("vk.com/id123", Profile("vk", "id", "123")),
    ("http://m.vk.com/id77?from=search", Profile("vk", "id", "77")),
    ("https://vk.ru/durov", Profile("vk", "name", "durov")),
    ("https://www.vk.com/ivan.petrov", Profile("vk", "name", "ivan.petrov")),
    ("https://vk.com/im?sel=555", Profile("vk", "id", "555")),
    ("https://www.facebook.com/profile.php?id=100012345", Profile("facebook", "id", "100012345")),
    ("https://m.facebook.com/jane.doe.77", Profile("facebook", "name", "jane.doe.77")),
    ("fb.com/jane.doe.77/", Profile("facebook", "name", "jane.doe.77")),
    ("https://www.facebook.com/people/Jane-Doe/100099/", Profile("facebook", "id", "100099")),
    ("https://m.me/123456", Profile("facebook", "id", "123456")),
    ("https://x.com/jack", Profile("x", "name", "jack")),
    ("https://twitter.com/Jack_Dorsey/status/1", Profile("x", "name", "Jack_Dorsey")),
    ("mobile.twitter.com/jack", Profile("x", "name", "jack")),
])
def test_profile_urls(url, expected):
    assert parse_profile_url(url) == expected


@pytest.mark.parametrize("url", [
    "", "not a url", "https://example.com/id1", "https://vk.com/", "https://vk.com/feed",
    "https://vk.com/club123", "https://www.facebook.com/groups/123",
    "https://www.facebook.com/profile.php", "https://x.com/home", "https://x.com/i/flow",
    "ftp://vk.com/id1", "https://x.com/this_handle_is_far_too_long",
])
def test_urls_that_name_no_profile(url):
    with pytest.raises(SocialError):
        parse_profile_url(url)


def test_network_restriction():
    with pytest.raises(SocialError, match="not a VK address"):
        parse_profile_url("https://x.com/jack", "vk")
    assert parse_profile_url("@jack", "x") == Profile("x", "name", "jack")


def test_canonical_urls():
    assert parse_profile_url("m.vk.com/id5").url == "https://vk.com/id5"
    assert parse_profile_url("twitter.com/jack").url == "https://x.com/jack"


def test_with_retries_waits_as_told_then_gives_up():
    waits, calls = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise SocialError("busy", retry_after=0.3)
        return "ok"

    assert with_retries(flaky, sleep=waits.append) == "ok"
    assert waits == [0.3, 0.4]

    def always_busy():
        raise SocialError("busy", retry_after=0.1)

    with pytest.raises(SocialError):
        with_retries(always_busy, sleep=waits.append)

    def too_long():
        raise SocialError("until tomorrow", retry_after=86400)

    calls.clear()
    with pytest.raises(SocialError, match="until tomorrow"):
        with_retries(lambda: calls.append(1) or too_long(), sleep=waits.append)
    assert len(calls) == 1
