{
    "name": "CRM Web Forms",
    "summary": "Forms for outside web sites that create leads, contacts and companies",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "CRM Connectors for Odoo",
    "website": "https://example.com/crm-connectors",
    "license": "LGPL-3",
    "depends": ["crm", "mail"],
    "data": [
        "security/crm_webform_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "views/crm_webform_views.xml",
        "views/crm_webform_submission_views.xml",
        "views/crm_webform_menus.xml",
    ],
    "assets": {
        "web.assets_tests": ["crm_webforms/static/tests/tours/*.js"],
    },
    "installable": True,
    "application": False,
}
