from . import controllers, engine, models, utils, wizard
