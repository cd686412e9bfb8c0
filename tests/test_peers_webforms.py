"""Tests of the crm_webforms peers over real HTTP: the outside site and the captcha
providers' siteverify endpoints, with the documented error codes."""

import requests

from peers import CaptchaVerifyPeer, OutsideSitePeer, peer_fixture

site = peer_fixture(OutsideSitePeer)
captcha = peer_fixture(CaptchaVerifyPeer)


def test_site_serves_the_pages_it_was_given(site):
    url = site.set_page("/contact", "<h1>Hi</h1>")
    answer = requests.get(url + "?a=1", timeout=5)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert answer.text == "<h1>Hi</h1>"
    assert requests.get(site.url + "/nope", timeout=5).status_code == 404
    assert [r.query for r in site.visits("/contact")] == [{"a": ["1"]}]


def verify(url, **data):
    return requests.post(url, data=data, timeout=5).json()


def test_siteverify_accepts_a_token_once(captcha):
    token = captcha.issue_token("tok-1")
    for url in (captcha.turnstile_url, captcha.recaptcha_url):
        captcha.issue_token(token)
        first = verify(url, secret="test-secret", response=token, remoteip="1.2.3.4")
        assert first["success"] is True and first["error-codes"] == []
        captcha.used_tokens.clear()
    captcha.issue_token(token)
    verify(captcha.turnstile_url, secret="test-secret", response=token)
    again = verify(captcha.turnstile_url, secret="test-secret", response=token)
    assert again == {"success": False, "error-codes": ["timeout-or-duplicate"]}


def test_siteverify_errors(captcha):
    url = captcha.recaptcha_url
    assert verify(url, response="x")["error-codes"] == ["missing-input-secret",
                                                         "invalid-input-response"]
    assert verify(url, secret="bad", response="x")["error-codes"] == [
        "invalid-input-secret", "invalid-input-response"]
    assert verify(url, secret="test-secret")["error-codes"] == ["missing-input-response"]
