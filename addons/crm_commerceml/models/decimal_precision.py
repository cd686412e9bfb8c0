from contextlib import contextmanager

from odoo import api, models

# cursor → {(application, ignore_discount_precision): digits}, while a 1C import batch runs
# on that cursor (crm_commerceml_importer._process_batch)
_REMEMBERED = {}


@contextmanager
def remembered_precisions(env):
    """Answer the transaction's precision lookups from a dict while the block runs.

    Every float field with named digits asks for its precision each time a value is
    cached or flushed: about 60 times per product a 1C import creates with its inventory
    move. The ormcache answers, but its wrapper binds the call's signature first, which
    costs a tenth of a first import. Keyed on the cursor, not the context, so the flush
    (which runs with an empty context) is answered too. A change of precision in the
    block forgets what was remembered.
    """
    cr = env.cr
    if cr in _REMEMBERED:  # nested: the outer block owns the memo
        yield
        return
    _REMEMBERED[cr] = {}
    try:
        yield
    finally:
        _REMEMBERED.pop(cr, None)


class DecimalPrecision(models.Model):
    _inherit = "decimal.precision"

    def precision_get(self, application):
        memo = _REMEMBERED.get(self.env.cr)
        if memo is None:
            return super().precision_get(application)
        # account answers "Discount" differently under this key: remembered apart
        key = (application, bool(self.env.context.get("ignore_discount_precision")))
        try:
            return memo[key]
        except KeyError:
            memo[key] = digits = super().precision_get(application)
            return digits

    def _forget_remembered(self):
        memo = _REMEMBERED.get(self.env.cr)
        if memo:
            memo.clear()

    # forgotten after the change (and base's ormcache clear), so that nothing read while
    # it was being written stays remembered
    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self._forget_remembered()
        return records

    def write(self, vals):
        result = super().write(vals)
        self._forget_remembered()
        return result

    def unlink(self):
        result = super().unlink()
        self._forget_remembered()
        return result
