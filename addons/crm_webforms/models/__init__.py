from . import crm_webform, crm_webform_field, crm_webform_guard, crm_webform_submission
