"""Issue 8, fault 5: Allegro's one send per second per user holds across Odoo workers. Two workers are two threads,
each with its own client and its own database connection (as two processes would be): only the database is shared.
The fake Allegro answers 429 to a send that arrives less than a second after the previous one of the same user."""

import threading
from datetime import datetime, timedelta

import pytz

from odoo.tests import tagged

from odoo.addons.responso_autoresponder.connectors import allegro
from odoo.addons.responso_autoresponder.connectors.allegro.pacing import _SendPacer
from odoo.addons.responso_autoresponder.connectors.common import MemoryTokenStore, Token
from odoo.addons.responso_autoresponder.connectors.http import HttpClient, MarketplaceError, RateLimited
from odoo.addons.responso_autoresponder.tests.common import ResponsoCase

from ..fakes.allegro_server import FakeAllegro

SENDS_PER_WORKER = 3


@tagged("post_install", "-at_install")
class TestPacingAcrossWorkers(ResponsoCase):

    def setUp(self):
        super().setUp()
        self.fake = FakeAllegro(login="paced-seller", client_id="cid", client_secret="secret")
        self.addCleanup(self.fake.stop)
        self.thread = self.fake.add_thread(interlocutor="kupujacy")

    def _worker_client(self):
        """A client as a worker process builds it: its own token store, HTTP session and in-process pacer."""
        answer = self.fake.issue_tokens()
        token = Token(answer["access_token"], answer["refresh_token"],
                      datetime.now(pytz.utc) + timedelta(seconds=answer["expires_in"]))
        client = allegro.AllegroClient(MemoryTokenStore(token), client_id="cid", client_secret="secret",
                                       login="paced-seller", api_url=self.fake.url, oauth_url=self.fake.url,
                                       http=HttpClient(self.fake.url, timeout=10))
        client._pacer = _SendPacer()  # what another process would have: a pacer of its own
        return client

    def _two_workers(self, clients):
        refused, failed = [], []

        def work(client):
            try:
                for number in range(SENDS_PER_WORKER):
                    try:
                        client.send_message(self.thread, "Odpowiedź %d" % number)
                    except RateLimited as exc:
                        refused.append(exc)
                    except MarketplaceError as exc:
                        failed.append(exc)
            finally:
                client.close()

        workers = [threading.Thread(target=work, args=(client,)) for client in clients]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        self.assertFalse(any(worker.is_alive() for worker in workers), "the workers finished")
        self.assertFalse(failed)
        return refused

    def test_process_pacers_alone_exceed_the_limit(self):
        """The fault: each process paces its own sends only, so two workers together go faster than Allegro
        allows, and Allegro refuses sends with 429."""
        refused = self._two_workers([self._worker_client(), self._worker_client()])
        self.assertTrue(refused, "two per-process pacers send faster than 1 per second together")

    def test_database_pacing_holds_across_workers(self):
        Account = self.env["responso.account"]
        clients = [Account._responso_paced(self._worker_client()) for _worker in range(2)]
        refused = self._two_workers(clients)
        self.assertFalse(refused, "no send refused: the interval held across both workers")
        self.assertEqual(len(self.fake.sent), 2 * SENDS_PER_WORKER)
