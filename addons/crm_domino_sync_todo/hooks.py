def uninstall_hook(env):
    """Without this module the accounts would sync To Do as activities again and bring
    every To Do item in a second time: they stop syncing To Do instead (the owner
    turns it on again, as activities, knowingly). The To-Dos themselves stay."""
    bindings = env["crm.sync.binding"].sudo().search([("res_model", "=", "project.task")])
    for account in bindings.account_id:
        tokens = dict(account.sync_tokens or {})
        tokens.pop("tasks", None)
        account.write({"sync_tasks": False, "sync_tokens": tokens or False})
    bindings.unlink()
