import time

from odoo import api, fields, models

RATE_WINDOW = 3600  # seconds; the limits on the form are per hour


class CrmWebformRate(models.Model):
    """Post counters per (key, hour). In PostgreSQL so that every Odoo worker, on every
    host, counts against the same limit."""

    _name = "crm.webform.rate"
    _description = "Web form rate counter"
    _log_access = False

    key = fields.Char(required=True)
    window_start = fields.Integer(required=True)
    hits = fields.Integer(required=True, default=0)

    _sql_constraints = [
        ("key_window_unique", "unique(key, window_start)", "One counter per key and hour."),
    ]


class CrmWebformNonce(models.Model):
    """Built-in captcha tokens already used, kept until they expire (no replay)."""

    _name = "crm.webform.nonce"
    _description = "Used web form captcha"
    _log_access = False

    nonce = fields.Char(required=True)
    expires = fields.Integer(required=True, index=True)

    _sql_constraints = [("nonce_unique", "unique(nonce)", "A captcha is used once.")]


class CrmWebformGuard(models.AbstractModel):
    _name = "crm.webform.guard"
    _description = "Web form flood guard"

    @api.model
    def _hit(self, limits, now=None, own_transaction=True):
        """Count one post against each (key, limit) in turn and stop at the first key
        over its limit. Returns (True, 0) or (False, seconds until the window ends).

        Counted in its own short transaction at READ COMMITTED, committed at once: a
        refused post must still count, concurrent workers add up instead of failing
        on serialization, and no row lock is held while the record is created.
        With own_transaction=False it counts in the caller's transaction instead.
        """
        now = now or time.time()
        window = int(now // RATE_WINDOW)
        retry_after = int((window + 1) * RATE_WINDOW - now) + 1
        if not own_transaction or self.env.registry.in_test_mode():
            # Browser tests share one transaction; a second cursor is not an option there.
            return self._count(self.env.cr, limits, window, retry_after)
        with self.env.registry.cursor() as cr:
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            return self._count(cr, limits, window, retry_after)

    @api.model
    def _count(self, cr, limits, window, retry_after):
        for key, limit in limits:
            cr.execute("""
                INSERT INTO crm_webform_rate (key, window_start, hits) VALUES (%s, %s, 1)
                ON CONFLICT (key, window_start)
                DO UPDATE SET hits = crm_webform_rate.hits + 1
                RETURNING hits""", (key, window))
            if cr.fetchone()[0] > limit:
                return False, retry_after
        return True, 0

    @api.model
    def _use_nonce(self, nonce, expires):
        """Mark a captcha token used; False when it was used before."""
        self.env.cr.execute("""
            INSERT INTO crm_webform_nonce (nonce, expires) VALUES (%s, %s)
            ON CONFLICT (nonce) DO NOTHING RETURNING id""", (nonce, expires))
        return bool(self.env.cr.fetchone())

    @api.model
    def _gc_guard(self):
        """Scheduled: forget counters of past hours and expired captcha tokens."""
        now = time.time()
        self.env.cr.execute("DELETE FROM crm_webform_rate WHERE window_start < %s",
                            (int(now // RATE_WINDOW) - 1,))
        self.env.cr.execute("DELETE FROM crm_webform_nonce WHERE expires < %s", (int(now),))
