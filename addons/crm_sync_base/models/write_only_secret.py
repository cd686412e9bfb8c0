from odoo import models


class CrmWriteOnlySecretMixin(models.AbstractModel):
    """Secrets typed in a form and never read back.

    A model lists ``_write_only_secrets = {form field: (stored field, flag field or None)}``
    and declares each form field with ``compute="_compute_write_only_secrets",
    inverse="_inverse_write_only_secrets"``, each stored field with
    ``groups="base.group_system", copy=False``, and each flag (Boolean: "one is stored")
    with the same compute. The form field always reads empty; what is typed goes to the
    stored field, which only administrators can read. (crm.sync.account keeps its
    credentials in crm.sync.secret instead: several per account, by key.)"""

    _name = "crm.write.only.secret.mixin"
    _description = "Write-only secret fields"
    _write_only_secrets: dict = {}

    def _compute_write_only_secrets(self):
        stored = {record.id: record for record in self.sudo()}
        for record in self:
            for name, (store, flag) in self._write_only_secrets.items():
                record[name] = False
                if flag:
                    source = stored.get(record.id)
                    record[flag] = bool(source and source[store])

    def _inverse_write_only_secrets(self):
        for record in self:
            for name, (store, _flag) in self._write_only_secrets.items():
                if record[name]:
                    record.sudo()[store] = record[name]
        # web_save reads the record back in the same transaction: drop the typed values,
        # so what goes back to the browser is the empty compute, never the secret
        self.invalidate_recordset([name for name, (_s, flag) in
                                   self._write_only_secrets.items()]
                                  + [flag for _s, flag in self._write_only_secrets.values()
                                     if flag])
