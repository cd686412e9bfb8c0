from odoo.tests import TransactionCase

from ..models.decimal_precision import _REMEMBERED, remembered_precisions

UOM_PRECISION = "Product Unit of Measure"


class TestRememberedPrecisions(TransactionCase):
    def test_a_batch_remembers_its_precisions_and_forgets_a_change(self):
        Precision = self.env["decimal.precision"]
        digits = Precision.precision_get(UOM_PRECISION)
        with remembered_precisions(self.env):
            # any environment on the cursor, an empty context too (the flush's)
            self.assertEqual(Precision.with_context({}).precision_get(UOM_PRECISION), digits)
            self.assertEqual(_REMEMBERED[self.env.cr], {(UOM_PRECISION, False): digits})
            # a change of precision in the batch is not hidden by what was remembered
            self.env.ref("product.decimal_product_uom").digits = digits + 1
            self.assertEqual(Precision.precision_get(UOM_PRECISION), digits + 1)
            # account's own answer for "Discount" under its context key is kept apart
            discount = Precision.precision_get("Discount")
            self.assertEqual(Precision.with_context(
                ignore_discount_precision=True).precision_get("Discount"), 100)
            self.assertEqual(Precision.precision_get("Discount"), discount)
        self.assertNotIn(self.env.cr, _REMEMBERED)
        self.env.ref("product.decimal_product_uom").digits = digits
        self.assertEqual(Precision.precision_get(UOM_PRECISION), digits)

    def test_the_memo_ends_with_the_batch_even_when_it_fails(self):
        with self.assertRaises(ZeroDivisionError), remembered_precisions(self.env):
            self.env["decimal.precision"].precision_get(UOM_PRECISION)
            1 / 0  # noqa: B018
        self.assertNotIn(self.env.cr, _REMEMBERED)
