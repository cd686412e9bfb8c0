"""The HTML a site owner pastes into another site: a plain <form> with labelled inputs,
a honeypot, the captcha, and a few lines of inline script (no Odoo assets)."""

from __future__ import annotations

from html import escape

from . import captcha

HONEYPOT_FIELD = "contact_fax"  # a name bots like to fill; hidden from people
TOKEN_FIELD = "_wf_captcha_token"
ANSWER_FIELD = "_wf_captcha"
PAGE_FIELD = "_wf_page"
CONTROL_FIELDS = frozenset({HONEYPOT_FIELD, TOKEN_FIELD, ANSWER_FIELD, PAGE_FIELD,
                            captcha.TURNSTILE_FIELD, captcha.RECAPTCHA_FIELD})

INPUT_TYPES = {"integer": "number", "float": "number", "monetary": "number",
               "date": "date"}


def _attr(value) -> str:
    return escape(str(value), quote=True)


def _input(field: dict, dom_id: str) -> str:
    name, kind = field["name"], field["type"]
    required = " required" if field.get("required") else ""
    if kind == "text":
        return f'<textarea id="{dom_id}" name="{_attr(name)}" rows="4"{required}></textarea>'
    if kind in ("selection", "many2one"):
        options = "".join(f'<option value="{_attr(value)}">{escape(label)}</option>'
                          for value, label in field.get("choices", ()))
        return (f'<select id="{dom_id}" name="{_attr(name)}"{required}>'
                f'<option value=""></option>{options}</select>')
    if kind == "boolean":
        return f'<input type="checkbox" id="{dom_id}" name="{_attr(name)}" value="1"/>'
    html_type = {"email": "email", "phone": "tel"}.get(field.get("kind"),
                                                       INPUT_TYPES.get(kind, "text"))
    step = ' step="any"' if kind in ("float", "monetary") else ""
    size = f' maxlength="{field["size"]}"' if kind == "char" and field.get("size") else ""
    return (f'<input type="{html_type}" id="{dom_id}" name="{_attr(name)}"'
            f'{step}{size}{required}/>')


def render_form(*, key: str, title: str, action: str, captcha_url: str | None,
                captcha_provider: str | None, site_key: str | None, fields: list[dict],
                submit_label: str = "Send", captcha_label: str = "Answer",
                captcha_alt: str = "The sum to solve") -> str:
    """The embeddable HTML. `fields`: dicts with name, label, type, required, kind,
    size, choices ([(value, label)]). Override fields are not in it: the server sets them."""
    form_id = f"odoo-webform-{key[:8]}"
    rows = []
    for field in fields:
        dom_id = f"{form_id}-{field['name']}"
        star = ' <span aria-hidden="true">*</span>' if field.get("required") else ""
        label = f'<label for="{dom_id}">{escape(field["label"])}{star}</label>'
        if field["type"] == "boolean":
            rows.append(f"  <p>{_input(field, dom_id)} {label}</p>")
        else:
            rows.append(f"  <p>{label}<br/>{_input(field, dom_id)}</p>")
    rows.append(
        f'  <p style="position:absolute;left:-10000px;top:auto" aria-hidden="true">'
        f'<label for="{form_id}-hp">Fax</label><input type="text" id="{form_id}-hp" '
        f'name="{HONEYPOT_FIELD}" tabindex="-1" autocomplete="off"/></p>')
    rows.append(f'  <input type="hidden" name="{PAGE_FIELD}" value=""/>')
    script = [f'var f = document.getElementById("{form_id}");',
              f'f.elements["{PAGE_FIELD}"].value = window.location.href;']
    head = ""
    if captcha_provider == "builtin" and captcha_url:
        rows.append(
            f'  <p><label for="{form_id}-captcha"><img alt="{_attr(captcha_alt)}" '
            f'width="160" height="48" '
            f'data-webform-captcha="1"/><br/>{escape(captcha_label)} *</label><br/>'
            f'<input type="text" id="{form_id}-captcha" name="{ANSWER_FIELD}" '
            f'inputmode="numeric" autocomplete="off" required/>'
            f'<input type="hidden" name="{TOKEN_FIELD}" value=""/></p>')
        script.append(
            f'fetch("{_attr(captcha_url)}").then(function (r) {{ return r.json(); }})'
            '.then(function (c) { f.querySelector("img[data-webform-captcha]").src = c.image;'
            f' f.elements["{TOKEN_FIELD}"].value = c.token; }});')
    elif captcha_provider == "turnstile" and site_key:
        head = ('<script src="https://challenges.cloudflare.com/turnstile/v0/api.js" '
                'async defer></script>\n')
        rows.append(f'  <div class="cf-turnstile" data-sitekey="{_attr(site_key)}"></div>')
    elif captcha_provider == "recaptcha" and site_key:
        head = '<script src="https://www.google.com/recaptcha/api.js" async defer></script>\n'
        rows.append(f'  <div class="g-recaptcha" data-sitekey="{_attr(site_key)}"></div>')
    rows.append(f'  <p><button type="submit">{escape(submit_label)}</button></p>')
    body = "\n".join(rows)
    return (
        f"{head}<form id=\"{form_id}\" action=\"{_attr(action)}\" method=\"post\" "
        f"accept-charset=\"utf-8\" aria-label=\"{_attr(title)}\">\n{body}\n</form>\n"
        f"<script>\n(function () {{\n  {chr(10).join('  ' + line for line in script).strip()}\n"
        f"}})();\n</script>\n")
