import time

from peers import PeerCaseMixin
from peers.messenger import MessengerPeer
from peers.vk import VkPeer
from peers.x import XPeer

# A 1x1 PNG, served as a profile photo.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


class SocialCase(PeerCaseMixin):
    """Three networks played by peers, the settings pointing at them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vk = cls.start_peer(VkPeer)
        cls.fb = cls.start_peer(MessengerPeer)
        cls.x = cls.start_peer(XPeer)

    def setUp(self):
        super().setUp()
        self.service = self.env["crm.social.service"]
        self.service._set_params({
            "vk_token": VkPeer.TOKEN, "vk_api_url": self.vk.url + "/method",
            "facebook_page_id": MessengerPeer.PAGE_ID,
            "facebook_page_token": MessengerPeer.TOKEN, "facebook_graph_url": self.fb.base,
            "x_client_id": XPeer.CLIENT_ID, "x_client_secret": XPeer.CLIENT_SECRET,
            "x_api_url": self.x.url + "/2", "x_token_url": self.x.url + "/2/oauth2/token",
            "x_authorize_url": self.x.url + "/i/oauth2/authorize",
        })
        self.vk.photos["p.png"] = PNG

    def connect_x(self):
        tokens = self.x.issue_tokens()
        self.service._set_params({
            "x_access_token": tokens["access_token"],
            "x_refresh_token": tokens["refresh_token"],
            "x_expires_at": str(int(time.time() + tokens["expires_in"])),
            "x_username": "acme_sales"})
        return tokens

    def send(self, record, networks, text, **kwargs):
        wizard = record.env["crm.social.send"].with_context(
            default_res_model=record._name, default_res_id=record.id).create(
            dict({f"send_{n}": True for n in networks}, body=text, **kwargs))
        return wizard.action_send()
