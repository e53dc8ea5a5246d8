"""Polling an API account: fetch what is new since the cursor, store each message once, then move the cursor.

A poll goes in bounded steps (docs/architecture.md): a step stores at most POLL_BATCH messages, oldest first, and moves
the cursor past them; in the polling job ir.cron commits each step and calls again while `_notify_progress` reports
work left, so a first poll of a month of messages survives the cron time limit and resumes where it stopped.
Attachments are downloaded by the following steps, once their messages are stored.
"""

import logging
import time
from datetime import timedelta

import pytz

from odoo import fields, models
from odoo.exceptions import UserError

from ..connectors.http import MarketplaceError

_logger = logging.getLogger(__name__)

POLL_OVERLAP = timedelta(minutes=10)
FIRST_POLL_HISTORY = timedelta(days=30)  # offset paging is no snapshot: re-read a margin, duplicates are dropped
POLL_BATCH = 250  # messages stored per step (one commit, one cursor move)
POLL_STEP_SECONDS = 40  # a step stops early, far below the cron time limit (limit_time_real_cron, 120 s by default)
ATTACHMENT_BATCH = 20  # attachments downloaded per step


# One concern per file (docs/architecture.md): responso.account is extended in several files of this addon on
# purpose, so pylint-odoo's advice to merge them does not apply.
# pylint: disable=consider-merging-classes-inherited
class ResponsoAccount(models.Model):
    _inherit = "responso.account"

    poll_cursor = fields.Datetime("Fetched Until", copy=False, readonly=True,
                                  help="Messages newer than this are fetched at the next poll.")
    last_poll_at = fields.Datetime("Last Successful Poll", copy=False, readonly=True)
    last_error = fields.Text(copy=False, readonly=True)
    poll_pending_attachments = fields.Json(
        copy=False, readonly=True, groups="base.group_system",
        help="Attachments of stored messages still to download: [message id, file name, URL].")
    responso_error_notified_at = fields.Datetime(
        "Managers Told of an Error", copy=False, readonly=True,
        help="When the managers were last told that the autoresponder failed on a message of this account.")

    def _responso_notify_error(self, text):
        """Tell the account's managers (Discuss inbox) that the autoresponder failed; at most one note per hour
        and account: the decision log keeps every failed message."""
        self.ensure_one()
        account = self.sudo()
        author = self.env.ref("responso_autoresponder.partner_autoresponder")
        now = fields.Datetime.now()
        if account.responso_error_notified_at and account.responso_error_notified_at > now - timedelta(hours=1):
            return
        account.responso_error_notified_at = now
        managers = self.env.ref("responso_autoresponder.group_responso_manager").users.filtered(
            lambda user: account.company_id in user.company_ids)
        account.with_context(mail_notify_author=True).message_post(
            body=text, author_id=author.id, email_from=account.company_id.email_formatted or None,
            partner_ids=managers.partner_id.ids, message_type="comment", subtype_xmlid="mail.mt_comment")

    def action_poll_now(self):
        """One step now; the polling job goes on at once with the rest of a long import."""
        for account in self:
            _stored, remaining = account._responso_poll_steps(max_steps=1)
            if remaining and account.sudo().poll_cron_id:
                account.sudo().poll_cron_id._trigger()
        errors = [account.last_error for account in self if account.last_error]
        if errors:
            raise UserError("\n".join(errors))
        return True

    def _responso_poll(self):
        """Fetch new messages and store each once; the number of messages handled.

        In the polling job (ir.cron's progress in the context): one step, reported to the cron, which commits it and
        calls again while work is left. Elsewhere (demo, tests): every step, in this transaction."""
        self.ensure_one()
        if self.env.context.get("ir_cron_progress_id"):
            done, remaining, stored = self._responso_poll_step()
            self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
            return stored
        return self._responso_poll_steps()[0]

    def _responso_poll_steps(self, max_steps=None):
        """Steps until nothing is left (or `max_steps`): (messages handled, work left)."""
        stored, step = 0, 0
        while True:
            done, remaining, count = self._responso_poll_step()
            stored, step = stored + count, step + 1
            if not remaining or not done or (max_steps and step >= max_steps):
                return stored, remaining

    def _responso_poll_step(self):
        """(done, remaining, stored): download attachments of messages stored by earlier steps, then store up to
        POLL_BATCH fetched messages, oldest first, and move the cursor to the newest of them."""
        self.ensure_one()
        account = self.sudo()
        client = account._responso_client()
        started = time.monotonic()
        try:
            downloaded = account._responso_download_pending(client, ATTACHMENT_BATCH)
            # a first poll reads the last month: older history is not worth importing
            cursor = account.poll_cursor or fields.Datetime.now() - FIRST_POLL_HISTORY
            since = (cursor - POLL_OVERLAP).replace(tzinfo=pytz.utc)
            messages = client.fetch_new_messages(since)
            if account.integration_code == "allegro":
                messages += client.fetch_new_issue_messages(since)
            messages.sort(key=lambda m: m.created_at)
        except MarketplaceError as exc:
            account.last_error = exc.message
            _logger.info("Polling %s failed: %s", account.name, exc.message)
            return 0, 0, 0
        finally:
            client.close()
        # messages up to the cursor (the overlap, mostly stored already) do not count toward the batch: each step
        # stores messages past the cursor and moves it, so a burst inside the overlap cannot keep a poll going round
        old_cursor = account.poll_cursor
        processed = counted = stored = 0
        for message in messages:
            counts = not old_cursor or message.created_at.astimezone(pytz.utc).replace(tzinfo=None) > old_cursor
            if counts and (counted >= POLL_BATCH or (counted and time.monotonic() - started > POLL_STEP_SECONDS)):
                break
            result = account._responso_store_incoming(message, defer_attachments=True)
            stored += bool(result)
            processed += 1
            counted += counts
        values = {"last_poll_at": fields.Datetime.now(), "last_error": False}
        newest = processed and messages[processed - 1].created_at.astimezone(pytz.utc).replace(tzinfo=None)
        if newest and (not account.poll_cursor or newest > account.poll_cursor):
            values["poll_cursor"] = newest
        account.write(values)
        remaining = len(messages) - processed + len(account.poll_pending_attachments or [])
        if processed < len(messages):
            _logger.info("Polling %s: %s messages stored, %s left for the next step", account.name, processed,
                         len(messages) - processed)
        return processed + downloaded, remaining, stored
