{
    "name": "CRM Sync: HCL Domino (IBM Notes)",
    "summary": "Sync contacts, To Do and calendar with HCL Domino / IBM Notes through "
               "Domino Access Services or the Domino REST API",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "CRM Connectors for Odoo",
    "website": "https://example.com/crm-connectors",
    "license": "LGPL-3",
    "depends": ["crm_sync_base", "calendar", "mail"],
    "data": [
        "security/ir.model.access.csv",
        "security/crm_domino_security.xml",
        "views/crm_sync_account_views.xml",
        "wizard/crm_domino_meeting_views.xml",
        "wizard/crm_domino_password_views.xml",
    ],
    "assets": {
        "web.assets_tests": ["crm_domino_sync/static/tests/tours/*.js"],
    },
    "uninstall_hook": "uninstall_hook",
    "installable": True,
    "application": False,
}
