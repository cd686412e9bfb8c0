from odoo.tests import TransactionCase

from ..models.decimal_precision import PRECISION_MEMO_CONTEXT

UOM_PRECISION = "Product Unit of Measure"


class TestPrecisionMemo(TransactionCase):
    def test_a_batch_remembers_its_precisions_and_the_next_sees_a_change(self):
        Precision = self.env["decimal.precision"]
        digits = Precision.precision_get(UOM_PRECISION)
        memo = {}
        batch = Precision.with_context(**{PRECISION_MEMO_CONTEXT: memo})
        self.assertEqual(batch.precision_get(UOM_PRECISION), digits)
        self.assertEqual(memo, {(UOM_PRECISION, False): digits})

        self.env.ref("product.decimal_product_uom").digits = digits + 1
        # outside an import nothing is remembered; the next batch starts a new memo
        self.assertEqual(Precision.precision_get(UOM_PRECISION), digits + 1)
        next_batch = Precision.with_context(**{PRECISION_MEMO_CONTEXT: {}})
        self.assertEqual(next_batch.precision_get(UOM_PRECISION), digits + 1)
        # account's own answer for "Discount" under its context key is not mixed up
        discount = Precision.precision_get("Discount")
        self.assertEqual(
            batch.with_context(ignore_discount_precision=True).precision_get("Discount"), 100)
        self.assertEqual(batch.precision_get("Discount"), discount)
