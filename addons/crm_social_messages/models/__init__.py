# The mixin and the service first: the models below inherit or call them.
from . import social_message, social_profile_mixin, social_service  # isort: skip
from . import crm_lead, res_config_settings, res_partner
