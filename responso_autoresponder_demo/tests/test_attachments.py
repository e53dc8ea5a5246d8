"""Attachments of polled messages, against the fake marketplaces (issue 8, fault 11)."""

from datetime import datetime, timedelta

import pytz

from odoo.tests import tagged

from odoo.addons.responso_autoresponder.connectors.common import Token
from odoo.addons.responso_autoresponder.models.responso_account_token_store import AccountTokenStore
from odoo.addons.responso_autoresponder.tests.common import ResponsoCase

from ..fakes.allegro_server import FakeAllegro
from ..fakes.ebay_server import FakeEbay
from ..fakes.streaming import Stream


@tagged("post_install", "-at_install")
class TestAttachmentIntake(ResponsoCase):
    """Only the marketplace's own files reach the chatter: no redirect elsewhere, nothing past the cap, nothing
    Allegro flagged or let expire, and no HTML served as HTML."""

    def setUp(self):
        super().setUp()
        self.fake = FakeAllegro(login="shop-seller", client_id="cid", client_secret="secret")
        self.addCleanup(self.fake.stop)
        self.other = FakeEbay()  # another local server, on another port
        self.addCleanup(self.other.stop)
        self.account = self.env["responso.account"].create({
            "name": "Allegro API", "integration_id": self.int_allegro.id, "company_id": self.company.id,
            "api_login": "shop-seller", "api_environment": "custom", "api_url": self.fake.url,
            "api_oauth_url": self.fake.url, "api_client_id": "cid", "api_client_secret": "secret",
        })
        answer = self.fake.issue_tokens()
        AccountTokenStore(self.account).set(Token(answer["access_token"], answer["refresh_token"],
                                                  datetime.now(pytz.utc) + timedelta(hours=1)))

    def _poll(self, attachments):
        thread = self.fake.add_thread(interlocutor="jan_kupujacy")
        self.fake.add_message(thread, "Pliki", at=datetime.now(pytz.utc) - timedelta(minutes=5),
                              attachments=attachments)
        self.account._responso_poll()
        self.assertFalse(self.account.last_error)
        conversation = self.env["responso.conversation"].search([("external_thread_id", "=", thread)])
        return conversation.message_ids.filtered(lambda m: m.responso_kind == "buyer")

    def _url(self, attachment_id):
        return self.fake.url + "/messaging/message-attachments/" + attachment_id

    def test_flagged_redirected_and_oversized_files_stay_out(self):
        self.fake.attachment_files["moved"] = (302, b"", {"Location": self.other.url + "/media/internal"})
        self.fake.attachment_files["huge"] = (200, Stream(60 * 1024 * 1024, declare_length=False), {})
        message = self._poll([
            ("photo.jpg", self._url("a-1")),
            ("virus.exe", self._url("a-2"), "UNSAFE"),
            ("old.pdf", self._url("a-3"), "EXPIRED"),
            ("moved.jpg", self._url("moved")),
            ("huge.mov", self._url("huge")),
        ])
        self.assertEqual(message.attachment_ids.mapped("name"), ["photo.jpg"])
        self.assertFalse(self.other.requests, "a redirect to another port is never followed")
        fetched = {request.path.rsplit("/", 1)[-1] for request in self.fake.requests
                   if "/message-attachments/" in request.path}
        self.assertNotIn("a-2", fetched, "UNSAFE files are never downloaded")
        self.assertNotIn("a-3", fetched, "EXPIRED files are never downloaded")
        self.assertIn("virus.exe: not downloaded, the marketplace flagged this file as unsafe.", message.body)
        self.assertIn("old.pdf: not downloaded, the file expired on the marketplace.", message.body)
        self.assertNotIn(self._url("a-2"), message.body, "an unsafe file is not even linked")
        self.assertIn(self._url("moved"), message.body, "what could not be downloaded is linked")
        self.assertIn(self._url("huge"), message.body)

    def test_html_from_a_buyer_is_stored_as_text(self):
        """Odoo's rule for untrusted uploads: HTML, SVG, XML are plain text (never rendered from our domain)."""
        self.fake.attachment_files["page"] = (200, b"<html><script>alert(document.cookie)</script></html>",
                                              {"Content-Type": "text/html"})
        self.fake.attachment_files["image"] = (200, b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
                                               {"Content-Type": "image/svg+xml"})
        message = self._poll([("invoice.html", self._url("page")), ("logo.svg", self._url("image"))])
        self.assertEqual(sorted(message.attachment_ids.mapped("name")), ["invoice.html", "logo.svg"])
        self.assertEqual(set(message.attachment_ids.mapped("mimetype")), {"text/plain"})


@tagged("post_install", "-at_install")
class TestEbayMediaIntake(ResponsoCase):

    def setUp(self):
        super().setUp()
        self.fake = FakeEbay(seller="shop_seller")
        self.addCleanup(self.fake.stop)
        self.other = FakeEbay()
        self.addCleanup(self.other.stop)
        self.account = self.env["responso.account"].create({
            "name": "eBay API", "integration_id": self.int_ebay.id, "company_id": self.company.id,
            "api_login": "shop_seller", "api_environment": "custom", "api_url": self.fake.url,
            "api_client_id": "cid", "api_client_secret": "secret",
        })
        answer = self.fake.issue_token()
        AccountTokenStore(self.account).set(Token(answer["access_token"], answer.get("refresh_token"),
                                                  datetime.now(pytz.utc) + timedelta(hours=1)))

    def test_media_redirected_elsewhere_is_not_saved(self):
        """The demonstrated SSRF: a media URL redirecting to another host:port whose answer landed in the
        chatter."""
        self.fake.media_files["lamp.jpg"] = (302, b"", {"Location": self.other.url + "/media/internal-secret"})
        conversation_id = self.fake.add_conversation(other_party="anna_buys")
        self.fake.add_message(conversation_id, "See the photo", sender="anna_buys",
                              created=datetime.now(pytz.utc) - timedelta(minutes=5),
                              media=[("lamp.jpg", self.fake.url + "/media/lamp.jpg"),
                                     ("cdn.jpg", "https://cdn.example.com/x.jpg")])
        self.account._responso_poll()
        message = self.env["mail.message"].search([("responso_external_id", "!=", False),
                                                   ("responso_account_id", "=", self.account.id)])
        self.assertEqual(len(message), 1)
        self.assertFalse(message.attachment_ids)
        self.assertFalse(self.other.requests)
        self.assertNotIn("internal-secret", message.body or "")
        self.assertIn('href="https://cdn.example.com/x.jpg"', message.body)
