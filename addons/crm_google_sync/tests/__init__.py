from . import test_calendar_sync, test_contacts_sync, test_no_invitations, test_oauth
