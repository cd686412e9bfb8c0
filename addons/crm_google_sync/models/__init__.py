from . import calendar_event, calendar_map, res_config_settings, sync_account
