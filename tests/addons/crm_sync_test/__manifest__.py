{
    "name": "CRM Sync: test provider",
    "summary": "A provider that exists only for tests: contacts over the ContactsPeer protocol",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "license": "LGPL-3",
    "depends": ["crm_sync_base"],
    "data": ["views/crm_sync_account_views.xml"],
    "assets": {
        "web.assets_tests": ["crm_sync_test/static/tests/tours/*.js"],
    },
    "installable": True,
}
