from . import res_config_settings, sync_account
