import threading

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name


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

    def test_each_reply_sent_once(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            workflow = env["responso.workflow"].create({
                "name": "Concurrency", "description": "two workers", "interval_minutes": 0,
                "condition_ids": [(0, 0, {"kind": "trigger", "trigger": "each_message"})],
                "action_ids": [(0, 0, {"body_html": "<p>Thanks</p>"})],
            })
            allegro = env.ref("responso_autoresponder.source_allegro_messages")
            buyers = env["res.partner"].create([{"name": f"Concurrent buyer {i}"} for i in range(10)])
            conversations = env["responso.conversation"].create([
                {"name": f"Concurrent {i}", "source_id": allegro.id, "buyer_id": buyer.id}
                for i, buyer in enumerate(buyers)])
            for conversation in conversations:
                conversation.responso_post_buyer_message("Hello")
            replies = env["responso.reply"].search([("conversation_id", "in", conversations.ids)])
            self.assertEqual(len(replies), 10)
            ids = {"workflow": workflow.id, "buyers": buyers.ids, "conversations": conversations.ids,
                   "replies": replies.ids}
            cr.commit()
        self.addCleanup(self._cleanup, ids)

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
            self.assertEqual(posted, 10, "ten replies posted, none twice")

    def _cleanup(self, ids):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            env["responso.conversation"].browse(ids["conversations"]).unlink()
            env["responso.workflow"].browse(ids["workflow"]).unlink()
            env["res.partner"].browse(ids["buyers"]).unlink()
            cr.commit()
