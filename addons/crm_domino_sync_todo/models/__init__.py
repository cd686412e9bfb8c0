from . import crm_sync_account, project_task
