{
    "name": "CRM Sync: HCL Domino To Do as To-Do tasks",
    "summary": "Sync the To Do items of HCL Domino / IBM Notes with Odoo's personal "
               "To-Do tasks instead of activities",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "CRM Connectors for Odoo",
    "website": "https://example.com/crm-connectors",
    "license": "LGPL-3",
    "depends": ["crm_domino_sync", "project_todo"],
    "data": [
        "views/crm_sync_account_views.xml",
    ],
    "auto_install": True,
    "uninstall_hook": "uninstall_hook",
    "installable": True,
    "application": False,
}
