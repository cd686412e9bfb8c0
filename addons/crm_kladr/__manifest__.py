{
    "name": "CRM KLADR / FIAS Addresses",
    "summary": "Russian address classifier (KLADR, FIAS/GAR) with city and street "
               "autocomplete on leads and contacts",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "CRM Connectors for Odoo",
    "website": "https://example.com/crm-connectors",
    "license": "LGPL-3",
    "depends": ["base", "base_setup", "bus", "contacts", "crm"],
    "external_dependencies": {"python": ["dbfread", "py7zr", "zeep"]},
    "data": [
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "views/crm_kladr_import_views.xml",
        "views/res_config_settings_views.xml",
        "views/crm_kladr_menus.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "crm_kladr/static/src/**/*",
        ],
        "web.assets_tests": [
            "crm_kladr/static/tests/tours/*.js",
        ],
    },
    "installable": True,
    "application": False,
}
