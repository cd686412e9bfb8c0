from . import crm_domino_meeting, crm_domino_password
