"""Issue 8, fault 7: a first poll of 30 days with 5,000 messages completes through the polling job, in bounded steps
that each commit and move the cursor, and resumes where it stopped after a crash."""

import logging
from datetime import datetime, timedelta
from unittest.mock import patch

import pytz

from odoo.tests import tagged

from odoo.addons.base.models.ir_cron import MAX_BATCH_PER_CRON_JOB, CompletionStatus
from odoo.addons.responso_autoresponder.models import responso_account_polling as polling
from odoo.addons.responso_autoresponder.models.responso_account_token_store import AccountTokenStore
from odoo.addons.responso_autoresponder.tests.common import ResponsoCase

from ..fakes.allegro_server import FakeAllegro
from .test_connectors import _token

THREADS, PER_THREAD = 250, 20  # 5,000 messages over the last 29 days
_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestFirstPollInSteps(ResponsoCase):

    def setUp(self):
        super().setUp()
        self.fake = FakeAllegro(login="shop-seller", client_id="cid", client_secret="secret")
        self.addCleanup(self.fake.stop)
        self.account = self.env["responso.account"].create({
            "name": "Allegro import", "integration_id": self.int_allegro.id, "company_id": self.company.id,
            "api_login": "shop-seller", "api_environment": "custom", "api_url": self.fake.url,
            "api_oauth_url": self.fake.url, "api_client_id": "cid", "api_client_secret": "secret",
        })
        AccountTokenStore(self.account).set(_token(self.fake.issue_tokens()))

    def _fill(self, threads):
        """`threads` threads of PER_THREAD buyer messages, 5 minutes apart, from 29 days ago (5,000: 17 days)."""
        now = datetime.now(pytz.utc)
        for thread in range(threads):
            thread_id = self.fake.add_thread(interlocutor="buyer-%d" % (thread % 40))
            for number in range(PER_THREAD):
                at = now - timedelta(days=29) + timedelta(minutes=5 * (thread * PER_THREAD + number))
                attachments = [("photo.jpg", self.fake.url + "/messaging/message-attachments/a-%d" % thread)] \
                    if number == 0 and thread < 30 else ()
                self.fake.add_message(thread_id, "Message %d/%d" % (thread, number), at=at, attachments=attachments)
        return now - timedelta(days=29) + timedelta(minutes=5 * (threads * PER_THREAD - 1))

    def _run_polling_job(self):
        """One run of the account's polling job the way ir.cron's `_run_job` runs it (Odoo 18): the server action
        again and again (at most 10 times) while it reports work done and work left, each call committed (here: a
        savepoint released) or, when it raises, rolled back to the last commit; the completion status."""
        cron = self.account.poll_cron_id
        status = None
        for _call in range(MAX_BATCH_PER_CRON_JOB):
            cron_env, progress = cron._add_progress()
            try:
                with self.env.cr.savepoint():
                    cron_env.with_user(cron.user_id).ir_actions_server_id.run()
                    self.env.flush_all()
            except Exception:  # noqa: BLE001 -- as ir.cron does
                _logger.exception("polling job failed")
                status = CompletionStatus.PARTIALLY_DONE if progress.done and progress.remaining \
                    else CompletionStatus.FAILED
            else:
                status = CompletionStatus.FULLY_DONE if not (progress.done and progress.remaining) \
                    else CompletionStatus.PARTIALLY_DONE
            if status != CompletionStatus.PARTIALLY_DONE:
                break
        self.env.invalidate_all()
        return status

    def _stored(self):
        return self.env["mail.message"].search_count([("responso_account_id", "=", self.account.id),
                                                      ("responso_kind", "=", "buyer")])

    def test_first_poll_of_5000_messages_completes_in_committed_steps(self):
        newest = self._fill(THREADS)
        status = self._run_polling_job()
        steps = self.env["ir.cron.progress"].search([("cron_id", "=", self.account.poll_cron_id.id)])
        self.assertEqual(len(steps), 10, "ir.cron ran the callback again while work was left")
        self.assertTrue(all(step.done <= polling.POLL_BATCH + polling.ATTACHMENT_BATCH for step in steps),
                        "every step is bounded")
        self.assertEqual(status, CompletionStatus.PARTIALLY_DONE, "rescheduled at once for the rest")
        # each step re-reads a 10-minute overlap: a few messages per step are seen again, and skipped
        self.assertTrue(8 * polling.POLL_BATCH < self._stored() <= 10 * polling.POLL_BATCH, self._stored())
        self.assertTrue(self.account.poll_cursor, "the cursor moved with the stored pages")
        for _run in range(5):
            if self._run_polling_job() == CompletionStatus.FULLY_DONE:
                break
        self.assertEqual(self._stored(), THREADS * PER_THREAD, "every message, once")
        self.assertAlmostEqual(self.account.poll_cursor, newest.replace(tzinfo=None), delta=timedelta(seconds=1),
                               msg="the cursor is at the newest message")
        self.assertFalse(self.account.sudo().poll_pending_attachments)
        photos = self.env["ir.attachment"].search_count([("res_model", "=", "responso.conversation"),
                                                         ("name", "=", "photo.jpg")])
        self.assertEqual(photos, 30, "attachments downloaded after their messages were stored")

    def test_a_crash_mid_import_resumes_where_it_stopped(self):
        self._fill(30)  # 600 messages
        store = type(self.account)._responso_store_incoming
        calls = []

        def dies_in_the_third_step(account, message, *args, **kwargs):
            calls.append(message.external_id)
            if len(calls) == 2 * polling.POLL_BATCH + 50:
                raise RuntimeError("worker killed mid-step")
            return store(account, message, *args, **kwargs)

        with patch.object(type(self.account), "_responso_store_incoming", dies_in_the_third_step), \
                self.assertLogs(__name__, "ERROR"):
            self.assertEqual(self._run_polling_job(), CompletionStatus.FAILED, "the crashed call is rolled back")
        stored = self._stored()
        self.assertTrue(2 * polling.POLL_BATCH - 10 <= stored <= 2 * polling.POLL_BATCH,
                        "the steps committed before the crash are kept: %s" % stored)
        cursor = self.account.poll_cursor
        self.assertTrue(cursor)
        for _run in range(5):
            if self._run_polling_job() == CompletionStatus.FULLY_DONE:
                break
        self.assertEqual(self._stored(), 30 * PER_THREAD, "resumed where it stopped, nothing twice")

    def test_a_burst_inside_the_overlap_does_not_keep_the_poll_going(self):
        """More messages than a step stores, all within the 10-minute overlap and already stored: the next poll
        skips them without counting them, and ends."""
        at = datetime.now(pytz.utc) - timedelta(minutes=2)
        thread = self.fake.add_thread(interlocutor="burst")
        for number in range(polling.POLL_BATCH + 20):
            self.fake.add_message(thread, "Burst %d" % number, at=at)
        self.account._responso_poll()
        self.assertEqual(self._stored(), polling.POLL_BATCH + 20)
        self.assertEqual(self.account._responso_poll_steps(max_steps=3), (polling.POLL_BATCH + 20, 0),
                         "one step goes through the overlap, and nothing is left")
        self.assertEqual(self._stored(), polling.POLL_BATCH + 20)
