"""Errors whose message a user reads, in a form Odoo can translate: a template
marked with ``_`` (a no-op here, so Odoo's term extraction finds it; no odoo import)
and its parameters. The models show ``env._(error.template, **error.params)``."""


def _(template: str) -> str:
    """Marks a message for translation; the caller translates it."""
    return template


class ClassifierError(ValueError):
    def __init__(self, template: str, **params):
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)
