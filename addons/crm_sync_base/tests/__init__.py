from . import test_engine_plan, test_engine_statemachine
