{
    "name": "CRM CommerceML (1C exchange)",
    "summary": "Exchange catalogs, stock, prices, orders and counterparties with 1C:Enterprise "
               "and web shops by CommerceML 2",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "CRM Connectors for Odoo",
    "website": "https://example.com/crm-connectors",
    "license": "LGPL-3",
    "depends": ["crm_sync_base", "sale", "stock", "stock_account"],
    "data": [
        "security/ir.model.access.csv",
        "data/ir_sequence.xml",
        "views/crm_commerceml_exchange_views.xml",
        "views/crm_commerceml_shop_views.xml",
        "views/res_config_settings_views.xml",
        "views/product_views.xml",
        "views/crm_commerceml_menus.xml",
        "data/ir_cron.xml",
    ],
    "assets": {
        "web.assets_tests": ["crm_commerceml/static/tests/tours/*.js"],
    },
    "installable": True,
    "application": False,
}
