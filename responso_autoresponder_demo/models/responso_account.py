"""The "Demo" environment: accounts that talk to fake marketplaces served on 127.0.0.1 by a process of their own
(`fakes/serve.py`), which every Odoo worker reaches: under `--workers`, the worker that writes a buyer message on the
fake and the one whose cron answers it see the same marketplace."""

import json
import logging
import os
import subprocess
import sys
import threading
from datetime import timedelta

import pytz
import requests

from odoo import fields, models
from odoo.tools import SQL, config

from odoo.addons.responso_autoresponder.connectors import allegro, ebay
from odoo.addons.responso_autoresponder.connectors.common import MemoryTokenStore, Token
from odoo.addons.responso_autoresponder.connectors.http import HttpClient
from odoo.addons.responso_autoresponder.models.responso_account_api import API_INTEGRATIONS, REQUEST_TIMEOUT

from ..fakes import serve

_logger = logging.getLogger(__name__)
_LOCK = threading.Lock()
_CONTROL = {}  # database name -> control URL of the fake marketplaces' process, as this process last found it
CONTROL_PARAM = "responso_autoresponder_demo.fake_control_url"
DEMO_LOGIN = "myshop-demo"


class RemoteFake:
    """One fake marketplace of the demo process, driven through its control port."""

    def __init__(self, control, code):
        self.control, self.code = control, code
        urls = requests.get(control + "/urls", timeout=10).json()
        self.url = urls[code]
        self.client_id, self.client_secret = urls["allegro_client"]

    def _call(self, method, *args, **kwargs):
        kwargs = {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in kwargs.items()}
        answer = requests.post(self.control + "/call", json={"fake": self.code, "method": method, "args": args,
                                                            "kwargs": kwargs}, timeout=10).json()
        if "error" in answer:
            raise RuntimeError("demo marketplace: %s" % answer["error"])
        return answer["result"]

    def __getattr__(self, method):
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda *args, **kwargs: self._call(method, *args, **kwargs)

    @property
    def sent_count(self):
        return self._call("len_sent")


def _reachable(control):
    try:
        return control and requests.get(control + "/urls", timeout=10).ok
    except requests.RequestException:
        return False


def demo_marketplace(env, code):
    """The fake marketplace of the demo accounts. It follows the documented contracts
    (docs/marketplace-contract.md), so the demo exercises the real clients end to end. Its process is started on
    first use, by whichever worker needs it first (under a database lock, so only one), and its address is shared
    through a system parameter."""
    dbname = env.cr.dbname
    with _LOCK:
        control = _CONTROL.get(dbname)
        if not _reachable(control):
            control = _CONTROL[dbname] = _start_or_find(env)
    return RemoteFake(control, code)


def _start_or_find(env):
    with env.registry.cursor() as cr:  # its own transaction: other workers see the address at once
        cr.execute(SQL("SELECT pg_advisory_xact_lock(hashtext(%s))", CONTROL_PARAM))
        cr.execute(SQL("SELECT value FROM ir_config_parameter WHERE key = %s", CONTROL_PARAM))
        row = cr.fetchone()
        if row and _reachable(row[0]):
            return row[0]
        # the Odoo server to outlive: the prefork master when this is one of its workers
        watch = os.getppid() if config["workers"] else os.getpid()
        process = subprocess.Popen(  # noqa: S603 -- our own script, fixed arguments
            [sys.executable, serve.__file__, "--watch-pid", str(watch), "--login", DEMO_LOGIN],
            # nothing of ours inherited but the pipe it answers on: a test runner reading this server's output must
            # see its end when the server stops
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True,
            start_new_session=True, text=True)
        control = json.loads(process.stdout.readline())["control"]
        process.stdout.close()
        cr.execute(SQL(
            """INSERT INTO ir_config_parameter (key, value, create_date, write_date, create_uid, write_uid)
               VALUES (%s, %s, now() at time zone 'UTC', now() at time zone 'UTC', 1, 1)
               ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value""", CONTROL_PARAM, control))
        _logger.info("Demo marketplaces started in process %s, control %s", process.pid, control)
        return control


def _demo_token(answer):
    expires = fields.Datetime.now().replace(tzinfo=pytz.utc) + timedelta(seconds=answer["expires_in"])
    return Token(answer["access_token"], answer.get("refresh_token"), expires)


class ResponsoAccount(models.Model):
    _inherit = "responso.account"

    api_environment = fields.Selection(
        selection_add=[("demo", "Demo (built-in fake marketplace)")], ondelete={"demo": "set default"})

    def _responso_is_demo(self):
        account = self.sudo()
        return account.api_environment == "demo" and account.integration_code in API_INTEGRATIONS

    def _responso_client(self):
        self.ensure_one()
        if not self._responso_is_demo():
            return super()._responso_client()
        fake = demo_marketplace(self.env, self.integration_code)
        store = MemoryTokenStore(_demo_token(
            fake.issue_tokens() if self.integration_code == "allegro" else fake.issue_token()))
        http_client = HttpClient(fake.url, timeout=REQUEST_TIMEOUT)
        if self.integration_code == "allegro":
            return self._responso_paced(allegro.AllegroClient(
                store, login=DEMO_LOGIN, client_id=fake.client_id, client_secret=fake.client_secret,
                api_url=fake.url, oauth_url=fake.url, http=http_client))
        return ebay.EbayClient(store, username=DEMO_LOGIN, client_id="demo", client_secret="demo",
                               base_url=fake.url, http=http_client)

    def _responso_connected(self):
        return bool(self) and self._responso_is_demo() or super()._responso_connected()

    def _responso_demo_buyer_message(self, conversation, text):
        """The buyer writes on the fake marketplace, and the account fetches it at once, as its polling job
        would."""
        self.ensure_one()
        fake = demo_marketplace(self.env, self.integration_code)
        login = conversation.buyer_id.responso_login or conversation.buyer_id.name
        now = fields.Datetime.now().replace(tzinfo=pytz.utc)
        thread = conversation.external_thread_id
        if conversation.source_id == self.env.ref("responso_autoresponder.source_allegro_discussions"):
            if not fake.has(thread):
                fake.add_issue(thread, buyer_login=login, subject=conversation.name)
            fake.add_issue_message(thread, text, at=now, role="BUYER", login=login)
        elif self.integration_code == "allegro":
            if not fake.has(thread):
                fake.add_thread(thread, interlocutor=login)
            fake.add_message(thread, text, at=now, login=login)
        else:
            if not fake.has(thread):
                fake.add_conversation(thread, other_party=login)
            fake.add_message(thread, text, sender=login, created=now)
        return self._responso_poll()
