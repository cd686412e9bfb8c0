"""Registers the Google provider with crm_sync_base's registry."""

from odoo.addons.crm_sync_base.engine import registry

from .utils.calendar import GoogleActivityAdapter, GoogleCalendarAdapter
from .utils.google_client import GOOGLE_AUTH_URL, GOOGLE_TOKEN_URL
from .utils.mappers import GoogleActivityMapper, GoogleEventMapper, GooglePartnerMapper
from .utils.people import GooglePeopleAdapter

PROVIDER = registry.register(registry.Provider(
    key="google", label="Google",
    adapters={"contacts": GooglePeopleAdapter, "events": GoogleCalendarAdapter,
              "tasks": GoogleActivityAdapter},
    mappers={"contacts": GooglePartnerMapper(), "events": GoogleEventMapper(),
             "tasks": GoogleActivityMapper()},
    default_endpoint="",
    oauth_authorize_url=GOOGLE_AUTH_URL,
    oauth_token_url=GOOGLE_TOKEN_URL,
))
