"""crm_sync_base's JSON client with errors turned into SocialError."""

from __future__ import annotations

from odoo.addons.crm_sync_base.engine.adapter import SyncError
from odoo.addons.crm_sync_base.utils.http import JsonHttpClient, retry_after_seconds

from .errors import SocialError, _

__all__ = ["NetworkClient", "retry_after_seconds"]


class NetworkClient(JsonHttpClient):
    """Subclasses map a failed response to a SocialError in ``error_of``."""

    label = "The network"

    def error_of(self, response) -> SocialError:
        raise NotImplementedError

    def raise_for_status(self, response, *, expect_token=False) -> None:
        if response.status_code >= 400:
            raise self.error_of(response)

    def request(self, method, path, **kwargs):
        try:
            return super().request(method, path, **kwargs)
        except SocialError:
            raise
        except SyncError as exc:  # transport: timeout, refused connection, not JSON
            raise SocialError(_("%(network)s could not be reached: %(error)s"),
                              network=self.label, error=str(exc), retry_after=1.0) from None

    def json(self, method, path, **kwargs):
        try:
            return super().json(method, path, **kwargs)
        except SocialError:
            raise
        except SyncError as exc:
            raise SocialError(_("%(network)s answered badly: %(error)s"),
                              network=self.label, error=str(exc)) from None
