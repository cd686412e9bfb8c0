from . import test_profiles, test_social, test_ui
