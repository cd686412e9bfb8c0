"""The address blocks of partners (main address, other addresses) and leads get the
classifier's autocomplete: every city and street field inside an ``o_address_format``
block of their form views is given the ``kladr_address`` widget, so address blocks
added by other modules get it too without a view per block."""

from odoo import api, fields, models

WIDGET_ROLES = {"city": "city", "street": "street"}


class KladrAddressMixin(models.AbstractModel):
    _name = "crm.kladr.address.mixin"
    _description = "Address classifier codes of an address"

    kladr_code = fields.Char(
        "Classifier place code", copy=False,
        help="KLADR code (or GAR object id) of the city chosen from the suggestions; "
             "the street suggestions are limited to it.")
    kladr_street_code = fields.Char("Classifier street code", copy=False)

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        arch, view = super()._get_view(view_id, view_type, **options)
        if view_type != "form":
            return arch, view
        russia = self.env.ref("base.ru", raise_if_not_found=False)
        if not russia:
            return arch, view
        for block in arch.xpath("//div[hasclass('o_address_format')]"):
            changed = False
            for node in block.iter("field"):
                role = WIDGET_ROLES.get(node.get("name"))
                if role and not node.get("widget"):
                    node.set("widget", "kladr_address")
                    node.set("options", repr({"kladr_role": role,
                                              "kladr_country_id": russia.id}))
                    changed = True
            if changed:
                names = {n.get("name") for n in block.iter("field")}
                for name in ("kladr_code", "kladr_street_code", "country_id"):
                    if name not in names:
                        block.append(block.makeelement(
                            "field", {"name": name, "invisible": "1"}))
        return arch, view


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "crm.kladr.address.mixin"]


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "crm.kladr.address.mixin"]
