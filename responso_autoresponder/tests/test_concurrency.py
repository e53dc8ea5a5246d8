import threading

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestTwoCronWorkers(BaseCase):
    """Two cron workers, each with its own database connection, process the same queue at once: each reply
    is sent exactly once. The data is committed (workers see only committed rows) and removed afterwards."""

    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())

    def _env(self, cr):
        # the test runner holds the registry lock: give worker cursors the loaded registry directly
        if cr.transaction is None:
            cr.transaction = api.Transaction(self.registry)
        return api.Environment(cr, SUPERUSER_ID, {})

    def _committed_replies(self, count):
        """`count` due replies in as many conversations, committed (other cursors see only committed rows)."""
        with self.registry.cursor() as cr:
            env = self._env(cr)
            workflow = env["responso.workflow"].create({
                "name": "Concurrency", "description": "two workers", "interval_minutes": 0,
                "condition_ids": [(0, 0, {"kind": "trigger", "trigger": "each_message"})],
                "action_ids": [(0, 0, {"body_html": "<p>Thanks</p>"})],
            })
            allegro = env.ref("responso_autoresponder.source_allegro_messages")
            buyers = env["res.partner"].create([{"name": f"Concurrent buyer {i}"} for i in range(count)])
            conversations = env["responso.conversation"].create([
                {"name": f"Concurrent {i}", "source_id": allegro.id, "buyer_id": buyer.id}
                for i, buyer in enumerate(buyers)])
            for conversation in conversations:
                conversation.responso_post_buyer_message("Hello")
            replies = env["responso.reply"].search([("conversation_id", "in", conversations.ids)])
            self.assertEqual(len(replies), count)
            ids = {"workflow": workflow.id, "buyers": buyers.ids, "conversations": conversations.ids,
                   "replies": replies.ids}
            # two cron workers only see committed rows: the fixture must really be committed (cleaned up below)
            cr.commit()  # pylint: disable=invalid-commit
        self.addCleanup(self._cleanup, ids)
        return ids

    def test_claim_after_another_worker_committed(self):
        """Worker B's snapshot predates worker A's claim: PostgreSQL refuses B the row ("could not serialize
        access"); B looks again in a fresh transaction and takes the next row."""
        ids = self._committed_replies(2)
        with self.registry.cursor() as cr_b, self.registry.cursor() as cr_a, mute_logger("odoo.sql_db"):
            env_a, env_b = self._env(cr_a), self._env(cr_b)
            cr_b.execute("SELECT count(*) FROM responso_reply")  # B's snapshot starts here
            first = env_a["responso.reply"]._responso_claim_next(retry_conflicts=True)
            cr_a.commit()
            second = env_b["responso.reply"]._responso_claim_next(retry_conflicts=True)
            self.assertTrue(first and second)
            self.assertNotEqual(first.id, second.id, "B never takes the row A claimed")
            self.assertEqual({first.id, second.id}, set(ids["replies"]))
            cr_b.rollback()

    def test_each_reply_sent_once(self):
        ids = self._committed_replies(30)

        barrier = threading.Barrier(2)
        results, errors = [], []

        def worker():
            try:
                with self.registry.cursor() as cr:
                    barrier.wait(timeout=30)
                    results.append(self._env(cr)["responso.reply"]._cron_send_due(batch_size=50).ids)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        # a worker that meets a row the other one just claimed gets "could not serialize access" from PostgreSQL
        # (logged by odoo.sql_db) and looks again in a fresh transaction: expected here
        with mute_logger("odoo.sql_db"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
        self.assertFalse(errors, errors)
        handled = results[0] + results[1]
        self.assertEqual(sorted(handled), sorted(ids["replies"]), "every reply handled, by one worker only")
        with self.registry.cursor() as cr:
            env = self._env(cr)
            replies = env["responso.reply"].browse(ids["replies"])
            self.assertEqual(set(replies.mapped("state")), {"sent"})
            posted = env["mail.message"].search_count([
                ("model", "=", "responso.conversation"), ("res_id", "in", ids["conversations"]),
                ("responso_kind", "=", "auto_reply")])
            self.assertEqual(posted, 30, "thirty replies posted, none twice")

    def _cleanup(self, ids):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            env["responso.conversation"].browse(ids["conversations"]).unlink()
            env["responso.workflow"].browse(ids["workflow"]).unlink()
            env["res.partner"].browse(ids["buyers"]).unlink()
            cr.commit()  # pylint: disable=invalid-commit  # removes the committed fixture of _committed_replies
