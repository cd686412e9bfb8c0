from . import test_engine_plan
