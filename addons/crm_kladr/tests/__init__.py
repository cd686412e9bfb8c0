from . import test_import, test_search, test_ui, test_utils
