"""VK API 5.199 through vk_api: send a message, read a history, read profiles.

vk_api posts to https://api.vk.ru/method/<name>; ``api_url`` replaces that prefix so
an on-premise proxy or a test server can stand in. VK answers errors with HTTP 200 and
an ``error`` object; they become SocialError with a reason a person can act on.
"""

from __future__ import annotations

import random

import requests
import vk_api

from .errors import SocialError, _

API_VERSION = "5.199"
DEFAULT_API_URL = "https://api.vk.ru/method"
_LIBRARY_PREFIXES = ("https://api.vk.ru/method", "https://api.vk.com/method")

# Error codes that clear up by waiting (per second / per method quotas).
_THROTTLED = {6: 0.5, 9: 5.0, 29: 60.0}
_AUTH = {5, 27, 28}
_REASONS = {
    5: _("VK refused the access token (expired, revoked, or the password of its owner "
         "changed): get a new token as the module's README shows and save it in Settings."),
    7: _("The VK access token lacks the permission for this (it needs 'messages' and "
         "'offline')."),
    14: _("VK asks for a captcha for this account: open VK in a browser as that user, "
          "send one message by hand, then try again."),
    15: _("VK denied access to this profile."),
    18: _("This VK user is deleted or banned."),
    30: _("This VK profile is private."),
    113: _("VK knows no user with this id."),
    900: _("This VK user has blacklisted the sender."),
    901: _("VK does not let you write to this user first: the person must write to you "
           "(or allow messages from the community) before you can send."),
    902: _("This VK user's privacy settings do not allow your message."),
    914: _("The message is too long for VK."),
    936: _("VK found no such contact."),
}


def new_random_id() -> int:
    """VK's anti-duplicate id: int32, kept with the message and reused on a retry."""
    return random.randint(1, 2**31 - 1)


class _Session(requests.Session):
    """Sends vk_api's calls to ``api_url`` instead of VK's hard-coded host."""

    def __init__(self, api_url: str, timeout: float):
        super().__init__()
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.trust_env = False

    def request(self, method, url, *args, **kwargs):
        for prefix in _LIBRARY_PREFIXES:
            if url.startswith(prefix):
                url = self.api_url + url[len(prefix):]
                break
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


class VkClient:
    def __init__(self, access_token: str, *, api_url: str = DEFAULT_API_URL,
                 timeout: float = 20.0):
        if not access_token:
            raise SocialError(_("No VK access token is saved: an administrator enters it in "
                                "Settings > CRM > Social networks."), auth=True)
        self._vk = vk_api.VkApi(token=access_token, api_version=API_VERSION,
                                session=_Session(api_url, timeout))
        # vk_api retries error 6 forever; the caller decides (with_retries), bounded.
        self._vk.error_handlers.pop(vk_api.vk_api.TOO_MANY_RPS_CODE, None)
        self._vk.error_handlers[vk_api.vk_api.CAPTCHA_ERROR_CODE] = _raise

    def call(self, method: str, **params):
        try:
            return self._vk.method(method, params)
        except vk_api.ApiError as exc:
            raise _error(exc.code, exc.error.get("error_msg", "")) from None
        except vk_api.ApiHttpError as exc:
            status = exc.response.status_code
            raise SocialError(_("VK answered HTTP %(status)s."), status=status,
                              retry_after=2.0 if status >= 500 or status == 429 else None,
                              code=status) from None
        except requests.Timeout:
            raise SocialError(_("VK did not answer in time; try again later."),
                              retry_after=1.0) from None
        except requests.RequestException as exc:
            raise SocialError(_("VK could not be reached (%(error)s)."),
                              error=type(exc).__name__,
                              retry_after=1.0) from None
        except ValueError:
            raise SocialError(_("VK answered with something that is not JSON.")) from None

    # -- what the addon uses ------------------------------------------------------

    def resolve_screen_name(self, screen_name: str) -> int:
        """The user id behind vk.com/<screen_name>; SocialError when it names no user."""
        found = self.call("utils.resolveScreenName", screen_name=screen_name)
        if not found:
            raise SocialError(_("vk.com/%(name)s names no one on VK."), name=screen_name)
        if found.get("type") != "user":
            raise SocialError(_("vk.com/%(name)s is a %(kind)s, not a person: messages go "
                                "to people."), name=screen_name, kind=found.get("type"))
        return int(found["object_id"])

    def send_message(self, user_id: int, text: str, random_id: int) -> str:
        """messages.send; the same ``random_id`` on a retry is delivered once."""
        return str(self.call("messages.send", peer_id=user_id, random_id=random_id,
                             message=text))

    def history(self, user_id: int, *, count: int = 200, offset: int = 0) -> dict:
        """One page of messages.getHistory, newest first: {"count", "items"}."""
        return self.call("messages.getHistory", peer_id=user_id, count=count, offset=offset)

    def user(self, user_id: int | str) -> dict:
        """users.get with the fields a profile import fills."""
        users = self.call("users.get", user_ids=str(user_id),
                          fields="screen_name,bdate,city,photo_200,site,contacts,domain")
        if not users:
            raise SocialError(_("VK knows no user %(user)s."), user=user_id)
        return users[0]


def _raise(error):
    raise error


def _error(code: int, message: str) -> SocialError:
    suffix = f" [VK error {code}]"
    if code in _THROTTLED:
        return SocialError(_("VK is throttling the calls of this token (%(error)s); try "
                             "later."), error=message or code, suffix=suffix,
                           retry_after=_THROTTLED[code], code=code)
    if code in _REASONS:
        return SocialError(_REASONS[code], suffix=suffix, auth=code in _AUTH, code=code)
    return SocialError(_("VK refused the call: %(error)s."), error=message or code,
                       suffix=suffix, auth=code in _AUTH, code=code)
