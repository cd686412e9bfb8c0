"""Registers Exchange Server (EWS) and, when its adapter is present, Exchange Online
(Microsoft Graph) with crm_sync_base's registry. Both share the partner mapper."""

import logging

from odoo.addons.crm_sync_base.engine import registry

from .utils.ews import EwsContactsAdapter
from .utils.mapping import ExchangePartnerMapper

_logger = logging.getLogger(__name__)

GRAPH_DEFAULT_ENDPOINT = "https://graph.microsoft.com/v1.0"

EXCHANGE_SERVER = registry.register(registry.Provider(
    key="exchange_server", label="Exchange Server",
    adapters={"contacts": EwsContactsAdapter},
    mappers={"contacts": ExchangePartnerMapper()},
    default_endpoint="",
))

try:
    from .utils import graph
except ImportError:  # Exchange Online's adapter not installed with this version
    graph = None
    EXCHANGE_ONLINE = None
else:
    EXCHANGE_ONLINE = registry.register(registry.Provider(
        key="exchange_online", label="Exchange Online",
        adapters={"contacts": graph.GraphContactsAdapter},
        mappers={"contacts": ExchangePartnerMapper()},
        default_endpoint=GRAPH_DEFAULT_ENDPOINT,
    ))


def module_for(provider_key):
    """The utils module that speaks to the provider (check_credentials, list_folders)."""
    if provider_key == "exchange_server":
        from .utils import ews
        return ews
    return graph
