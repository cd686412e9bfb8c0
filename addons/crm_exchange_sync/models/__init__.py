from . import crm_exchange_folder, res_partner, sync_account, sync_menu
