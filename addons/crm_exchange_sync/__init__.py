from . import models, provider, wizard
