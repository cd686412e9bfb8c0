{
    "name": "CRM Social Messages: VK, Facebook, X",
    "summary": "Write to leads and contacts on VK, Facebook Messenger and X, keep the "
               "history, import profiles and VK conversations",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "license": "LGPL-3",
    "author": "CRM Connectors for Odoo",
    "depends": ["crm", "crm_sync_base"],
    "external_dependencies": {"python": ["vk_api"]},
    "data": [
        "security/ir.model.access.csv",
        "security/crm_social_security.xml",
        "views/crm_social_message_views.xml",
        "wizard/crm_social_send_views.xml",
        "wizard/crm_social_import_views.xml",
        "views/res_partner_views.xml",
        "views/crm_lead_views.xml",
        "views/res_config_settings_views.xml",
        "views/crm_social_menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crm_social_messages/static/tests/tours/*.js",
        ],
    },
    "installable": True,
    "application": False,
}
