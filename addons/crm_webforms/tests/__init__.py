from . import test_endpoint, test_form_definition, test_utils
