def uninstall_hook(env):
    """Uninstalling removes everything the module kept about Domino (seed 003: "all data
    is deleted on uninstall"): its accounts, and with them their credentials, bindings
    and run journal (ondelete cascade). Contacts, activities and events in Odoo stay:
    they are the user's records, not the connector's."""
    accounts = env["crm.sync.account"].with_context(active_test=False).sudo().search(
        [("provider", "=", "domino")])
    accounts.unlink()
