from . import sync_account
