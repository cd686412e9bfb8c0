{
    "name": "CRM Sync Base",
    "summary": "Sync accounts, bindings, run journal and engine shared by the CRM connectors",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "CRM Connectors for Odoo",
    "website": "https://example.com/crm-connectors",
    "license": "LGPL-3",
    "depends": ["base", "mail", "contacts", "calendar", "sales_team"],
    "data": [
        "security/crm_sync_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "views/crm_sync_run_views.xml",
        "views/crm_sync_binding_views.xml",
        "views/crm_sync_account_views.xml",
        "wizard/crm_sync_menu_views.xml",
        "views/crm_sync_menus.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "crm_sync_base/static/src/synchronize_menu/*",
        ],
    },
    "installable": True,
    "application": False,
}
