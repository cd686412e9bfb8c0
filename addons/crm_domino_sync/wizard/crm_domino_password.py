from odoo import _, fields, models
from odoo.exceptions import UserError


class CrmDominoPassword(models.TransientModel):
    """Change password (seed 003): after the Notes password changed, store the new one
    and check it at once."""

    _name = "crm.domino.password"
    _description = "Change the Domino password of a sync account"

    account_id = fields.Many2one("crm.sync.account", required=True, ondelete="cascade")
    login = fields.Char("User name", required=True)
    # Never stored in the wizard's table: saving hands it straight to the account's
    # write-only secret store.
    password = fields.Char("New password", compute="_compute_password",
                           inverse="_inverse_password")

    def _compute_password(self):
        self.password = False

    def _inverse_password(self):
        for wizard in self:
            if wizard.password:
                wizard.account_id._sync_check_owner()
                wizard.account_id._sync_store_credentials({"password": wizard.password})

    def action_save(self):
        self.ensure_one()
        account = self.account_id
        account.check_access("write")
        account._sync_check_owner()
        account.login = self.login
        try:
            return account.action_test_connection()
        except UserError as exc:
            # The password is kept (the server may be down, not the password wrong);
            # the account shows what the server said.
            return account._sync_notify(
                _("The new password is saved, but the connection check failed: %(reason)s",
                  reason=exc.args[0]), "warning")
