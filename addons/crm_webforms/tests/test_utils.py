"""The plain-Python parts: the built-in captcha, value coercion, the embeddable HTML.

Plain pytest: utils/ imports nothing from Odoo."""

import pytest
from lxml import html as lxml_html

from odoo.addons.crm_webforms.utils import captcha, values
from odoo.addons.crm_webforms.utils.html import render_form

SECRET = "s3cret"


def answer_of(token):
    return str(captcha.expected_answer(SECRET, token.split(".")[2]))


def test_captcha_round_trip_gives_the_nonce():
    challenge = captcha.new_challenge(SECRET, "form-a", now=1000)
    assert challenge.image_png.startswith(b"\x89PNG")
    nonce = captcha.check(SECRET, "form-a", challenge.token, answer_of(challenge.token),
                          now=1001)
    assert nonce == challenge.token.split(".")[2]


@pytest.mark.parametrize("case, code", [
    ("wrong", "captcha_wrong"), ("other_form", "captcha_invalid"),
    ("tampered", "captcha_invalid"), ("expired", "captcha_expired"),
    ("empty", "captcha_missing"), ("other_secret", "captcha_invalid"),
])
def test_captcha_refusals(case, code):
    challenge = captcha.new_challenge(SECRET, "form-a", now=1000)
    token, answer, form, secret, now = (challenge.token, answer_of(challenge.token),
                                        "form-a", SECRET, 1001)
    if case == "wrong":
        answer = str(int(answer) + 1)
    elif case == "other_form":
        form = "form-b"
    elif case == "tampered":
        key, expires, nonce, signature = token.split(".")
        token = ".".join([key, str(int(expires) + 10_000), nonce, signature])
    elif case == "expired":
        now = 1000 + captcha.TOKEN_LIFETIME + 1
    elif case == "empty":
        answer = ""
    elif case == "other_secret":
        secret = "another"
    with pytest.raises(captcha.CaptchaError) as caught:
        captcha.check(secret, form, token, answer, now=now)
    assert caught.value.code == code


def test_the_answer_is_not_in_the_token():
    challenge = captcha.new_challenge(SECRET, "form-a")
    # The question only depends on the secret and the nonce: another secret, another one.
    nonce = challenge.token.split(".")[2]
    answers = {captcha.expected_answer(f"k{i}", nonce) for i in range(30)}
    assert len(answers) > 3


@pytest.mark.parametrize("spec, raw, expected", [
    ({"type": "char"}, "  Ann   Lee \n", "Ann Lee"),
    ({"type": "char", "kind": "email"}, "ann@x.test", "ann@x.test"),
    ({"type": "integer"}, "42", 42),
    ({"type": "float"}, "1 234,5", 1234.5),
    ({"type": "boolean"}, "on", True),
    ({"type": "boolean"}, None, False),
    ({"type": "selection", "selection": ["a", "b"]}, "b", "b"),
    ({"type": "many2one", "options": {3: "X"}}, "3", 3),
    ({"type": "char"}, "", None),
])
def test_coerce_accepts(spec, raw, expected):
    assert values.coerce(spec, raw) == expected


@pytest.mark.parametrize("spec, raw, code", [
    ({"type": "char"}, "x" * 257, "too_long"),
    ({"type": "text"}, "x" * 10_001, "too_long"),
    ({"type": "char", "kind": "email"}, "not-an-email", "invalid"),
    ({"type": "char", "kind": "phone"}, "call me", "invalid"),
    ({"type": "integer"}, "4.2", "invalid"),
    ({"type": "integer"}, "99999999999", "invalid"),
    ({"type": "float"}, "1e400", "invalid"),
    ({"type": "date"}, "31.12.2026", "invalid"),
    ({"type": "selection", "selection": ["a"]}, "z", "invalid"),
    ({"type": "many2one", "options": {3: "X"}}, "4", "invalid"),
    ({"type": "boolean"}, "maybe", "invalid"),
    ({"type": "char"}, ["a", "b"], "invalid"),
    ({"type": "char"}, "a\x00b", "invalid"),
    ({"type": "binary"}, "x", "invalid"),
])
def test_coerce_refuses(spec, raw, code):
    with pytest.raises(values.FieldError) as caught:
        values.coerce(spec, raw)
    assert caught.value.code == code


def test_phone_and_email_keys_match_what_people_type():
    assert values.phone_key("+7 (900) 123-45-67") == values.phone_key("8 900 1234567")
    assert values.phone_key("12") is None
    assert values.email_key(" Ann@X.test ") == "ann@x.test"


def test_rendered_form_is_plain_labelled_html():
    page = render_form(
        key="abcdef0123", title="Contact <us>", action="https://odoo.test/submit",
        captcha_url="https://odoo.test/captcha", captcha_provider="builtin", site_key=None,
        fields=[{"name": "contact_name", "label": "Name", "type": "char", "required": True},
                {"name": "email_from", "label": "E-mail", "type": "char", "kind": "email"},
                {"name": "country_id", "label": "Country", "type": "many2one",
                 "choices": [(1, "A & B")]}])
    tree = lxml_html.fromstring(f"<div>{page}</div>")
    form = tree.find(".//form")
    assert form.get("action") == "https://odoo.test/submit"
    assert form.get("method") == "post"
    for control in form.xpath(".//input[not(@type='hidden')]|.//select|.//textarea"):
        assert form.xpath(f".//label[@for='{control.get('id')}']"), control.get("name")
    assert form.xpath(".//input[@name='contact_name'][@required]")
    assert form.xpath(".//input[@name='email_from'][@type='email']")
    assert form.xpath(".//option[@value='1']")[0].text == "A & B"
    assert form.xpath(".//input[@name='contact_fax'][@tabindex='-1']")
    assert not tree.xpath("//link|//script[@src]")  # nothing loaded from Odoo
