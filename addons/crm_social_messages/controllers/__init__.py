from . import x_oauth
