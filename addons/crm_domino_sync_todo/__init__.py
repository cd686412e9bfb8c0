from . import mapper, models
from .hooks import uninstall_hook
