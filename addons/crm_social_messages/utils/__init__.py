"""Plain Python for the networks: profile URLs and the three API clients.

Nothing here imports odoo: the clients take credentials and return plain data, and
raise SocialError with a reason a person can act on.
"""
