from . import models
from .provider import PROVIDER
