from . import test_contacts_sync, test_oauth
