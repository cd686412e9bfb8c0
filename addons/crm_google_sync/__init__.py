from . import models, provider, utils
