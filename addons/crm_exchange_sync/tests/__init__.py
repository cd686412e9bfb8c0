from . import test_adapter, test_sync, test_ui, test_wizard
