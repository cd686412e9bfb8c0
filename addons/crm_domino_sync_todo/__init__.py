from . import mapper, models
