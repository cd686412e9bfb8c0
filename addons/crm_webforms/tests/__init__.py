from . import test_browser, test_endpoint, test_form_definition, test_utils
