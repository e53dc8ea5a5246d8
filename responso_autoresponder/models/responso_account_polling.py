"""Polling an API account: fetch what is new since the cursor, store each message once, then move the cursor."""

import logging
from datetime import timedelta

import pytz

from odoo import fields, models
from odoo.exceptions import UserError

from ..connectors.http import MarketplaceError

_logger = logging.getLogger(__name__)

POLL_OVERLAP = timedelta(minutes=10)
FIRST_POLL_HISTORY = timedelta(days=30)  # offset paging is no snapshot: re-read a margin, duplicates are dropped


# One concern per file (docs/architecture.md): responso.account is extended in several files of this addon on
# purpose, so pylint-odoo's advice to merge them does not apply.
# pylint: disable=consider-merging-classes-inherited
class ResponsoAccount(models.Model):
    _inherit = "responso.account"

    poll_cursor = fields.Datetime("Fetched Until", copy=False, readonly=True,
                                  help="Messages newer than this are fetched at the next poll.")
    last_poll_at = fields.Datetime("Last Successful Poll", copy=False, readonly=True)
    last_error = fields.Text(copy=False, readonly=True)
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
        for account in self:
            account._responso_poll()
        if self.last_error:
            raise UserError(self.last_error)
        return True

    def _responso_poll(self):
        """Fetch new messages and store each once; the cursor moves only once they are stored."""
        self.ensure_one()
        account = self.sudo()
        client = account._responso_client()
        # a first poll reads the last month: older history is not worth importing
        cursor = account.poll_cursor or fields.Datetime.now() - FIRST_POLL_HISTORY
        since = (cursor - POLL_OVERLAP).replace(tzinfo=pytz.utc)
        stored = 0
        try:
            messages = client.fetch_new_messages(since)
            if account.integration_code == "allegro":
                messages = sorted(messages + client.fetch_new_issue_messages(since), key=lambda m: m.created_at)
            for message in messages:  # the same session downloads the attachments
                stored += bool(account._responso_store_incoming(message, client))
        except MarketplaceError as exc:
            account.last_error = exc.message
            _logger.info("Polling %s failed: %s", account.name, exc.message)
            return 0
        finally:
            client.close()
        newest = max((m.created_at for m in messages), default=None)
        values = {"last_poll_at": fields.Datetime.now(), "last_error": False}
        if newest and (not account.poll_cursor or newest.replace(tzinfo=None) > account.poll_cursor):
            values["poll_cursor"] = newest.astimezone(pytz.utc).replace(tzinfo=None)
        account.write(values)
        return stored
