from . import crm_sync_account, crm_sync_run
