"""Plain Python that speaks Google's protocols: no odoo import, plain data in and out."""
