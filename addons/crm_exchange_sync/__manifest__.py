{
    "name": "CRM Exchange Sync",
    "summary": "Two-way sync of MS Exchange contacts (Exchange Server, Exchange Online) with Odoo",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "CRM Connectors for Odoo",
    "website": "https://example.com/crm-connectors",
    "license": "LGPL-3",
    "depends": ["crm_sync_base", "crm"],
    "external_dependencies": {"python": ["exchangelib", "msal"]},
    "data": [
        "security/ir.model.access.csv",
        "security/crm_exchange_security.xml",
        "views/crm_sync_account_views.xml",
        "views/res_partner_views.xml",
        "wizard/crm_exchange_add_account_views.xml",
    ],
    "assets": {
        "web.assets_tests": ["crm_exchange_sync/static/tests/tours/*.js"],
    },
    "installable": True,
    "application": False,
}
