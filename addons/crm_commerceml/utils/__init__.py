"""CommerceML 2 and the 1C exchange protocol as plain Python (no Odoo records or env).

Used by the 1C role (Odoo is the site 1C connects to) and meant to be reused, as is, by the
web-shop role (Odoo plays 1C against a shop).
"""
