from odoo.addons.crm_webforms.utils import captcha as captcha_utils
from odoo.tests import new_test_user


class WebformMixin:
    """Forms and people the web form tests share."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Branch B"})
        cls.salesman = new_test_user(
            cls.env, "wf_salesman", groups="sales_team.group_sale_salesman",
            company_id=cls.company_b.id, company_ids=[cls.company_b.id], name="Sam Sales")
        cls.manager = new_test_user(
            cls.env, "wf_manager",
            groups="sales_team.group_sale_manager,base.group_partner_manager")

    @classmethod
    def make_form(cls, target="lead", fields=(), overrides=None, **values):
        model = "crm.lead" if target in ("lead", "opportunity") else "res.partner"
        lines = [(0, 0, {"field_id": cls.env["ir.model.fields"]._get(model, name).id,
                         "required": required})
                 for name, required in fields]
        lines += [(0, 0, {"field_id": cls.env["ir.model.fields"]._get(model, name).id,
                          "override_value": value})
                  for name, value in (overrides or {}).items()]
        return cls.env["crm.webform"].create({
            "name": values.pop("name", f"Form {target}"), "target": target,
            "user_id": cls.salesman.id, "field_ids": lines, **values})

    def solve(self, form, token):
        nonce = token.split(".")[2]
        return str(captcha_utils.expected_answer(form._captcha_secret(), nonce))
