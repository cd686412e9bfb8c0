from . import test_change_tracking, test_concurrency, test_security, test_sync_runner, test_ui
