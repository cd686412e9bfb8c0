from . import test_concurrency, test_security, test_sync_runner, test_ui
