from . import kladr_address, kladr_import, kladr_store, kladr_suggest, res_config_settings
