from . import crm_sync_menu
