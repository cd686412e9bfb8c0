from . import crm_exchange_add_account
