"""Plain-Python helpers shared by the connectors (no odoo import)."""
