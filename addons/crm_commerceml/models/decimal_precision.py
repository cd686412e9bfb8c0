from odoo import models

# set by the 1C import around each batch it imports (crm_commerceml_importer): a dict that
# remembers the precisions read in that batch
PRECISION_MEMO_CONTEXT = "crm_commerceml_precisions"


class DecimalPrecision(models.Model):
    _inherit = "decimal.precision"

    def precision_get(self, application):
        # Every float field with named digits asks for its precision each time a value is
        # cached: about 50 times per product when a 1C item is created with its inventory
        # move. The ormcache answers, but its wrapper binds the call's signature first,
        # which costs a tenth of a first import. A batch runs in one transaction, where the
        # precisions cannot change under it, so it remembers them in its own dict.
        memo = self.env.context.get(PRECISION_MEMO_CONTEXT)
        if memo is None:
            return super().precision_get(application)
        # account answers "Discount" differently under this key: remembered apart
        key = (application, bool(self.env.context.get("ignore_discount_precision")))
        try:
            return memo[key]
        except KeyError:
            memo[key] = digits = super().precision_get(application)
            return digits
