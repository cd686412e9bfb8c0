from . import engine, models, utils, wizard
