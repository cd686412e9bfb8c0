{
    "name": "CRM Google Sync",
    "summary": "Two-way sync of Google Contacts (group based) and Google Calendar with Odoo CRM",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "CRM Connectors for Odoo",
    "website": "https://example.com/crm-connectors",
    "license": "LGPL-3",
    "depends": ["crm_sync_base", "base_setup"],
    "external_dependencies": {
        "python": ["google-api-python-client", "google-auth-oauthlib", "google-auth-httplib2"],
    },
    "data": [
        "security/ir.model.access.csv",
        "security/crm_google_sync_security.xml",
        "views/crm_sync_account_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "assets": {
        "web.assets_tests": ["crm_google_sync/static/tests/tours/*.js"],
    },
    "installable": True,
    "application": False,
}
