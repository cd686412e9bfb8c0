from . import common, crm_social_import, crm_social_send
