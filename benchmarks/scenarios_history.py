"""The history scenario: a buyer message with 1,000 then 1,000,000 replies and buyer messages in the tables — its
cost, the history facts alone, and the plans of the post's and of a sending run's statements."""

import time
from contextlib import contextmanager
from datetime import timezone

import stats
from measure import Row, Sample, interleave, log, median, summarize

import odoo
from odoo import fields
from odoo.sql_db import Cursor

from odoo.addons.responso_autoresponder.engine.index import history_horizon
from odoo.addons.responso_autoresponder.models import history_sql


class HistoryScenarios:
    """Mixed into bench_odoo.Bench: uses its records and samples."""

    def scenario_history(self):
        small, large = (1000, 100000) if self.quick else (1000, 1000000)
        log(f"== history: a buyer message with {small:,} then {large:,} replies and buyer messages in the tables")
        self.set_workflow_count(10)
        filler = HistoryFiller(self)
        figures = {}
        for rows in (small, large):
            t0 = time.perf_counter()
            filler.fill_to(rows)
            log(f"    {rows:,} history rows ready in {time.perf_counter() - t0:.0f} s")
            for _warm in range(3):
                self.hook_sample(expect_replies=1)
            post, plain = interleave(self.hook_sample, self.plain_sample, 10, 100, 15 * self.budget)
            history, history_plain = interleave(self.history_sample, self.plain_sample, 10, 100, 10 * self.budget)
            figures[rows] = (post, plain, history, history_plain)
        post_small, plain_small, hist_small, hist_plain_small = figures[small]
        post_large, plain_large, hist_large, hist_plain_large = figures[large]
        # the two table sizes cannot be measured interleaved with each other: each is measured against a plain post
        # interleaved with it, and the row's ratio is that of the two ratios, so that the machine's speed, which
        # drifts between the two phases, does not count as the history's
        if None not in hist_small + hist_large:
            self.add(size_row(f"history facts, {large:,} rows", f"{small:,} rows",
                              (hist_large, hist_plain_large), (hist_small, hist_plain_small)))
        else:
            self.add(Row(scenario="history facts", note="n/a: adapt history_probe()"))
        self.add(size_row(f"buyer message (10 wf), {large:,} history rows", f"{small:,} rows",
                          (post_large, plain_large), (post_small, plain_small)))
        statements, history_calls = self.capture_statements()
        scans, explained = explain_seq_scans(self.cr, statements, ("responso_reply", "mail_message"))
        # the history is a PL/pgSQL function (ADAPT): its plans, for these values and generic, explained apart
        for params in history_calls:
            for generic in (False, True):
                explained += 1
                plan = history_sql.explain(self.cr, params, generic)
                scans += [f"{table}: history ({'generic' if generic else 'custom'} plan)"
                          for table in ("responso_reply", "mail_message") if f"Seq Scan on {table}" in plan]
        self.add(plans_row(f"history plans at {large:,} rows", scans, explained, statements))
        statements = self.capture_cron_statements()
        scans, explained = explain_seq_scans(self.cr, statements, ("responso_reply", "mail_message"))
        self.add(plans_row(f"sending jobs at {large:,} rows", scans, explained, statements))

    def capture_cron_statements(self):
        """The SQL statements of one run of the sending cron that sends one reply, and of one run of the sending
        upkeep job (committed, as in production)."""
        conversation, buyer = self.new_conversation()
        self.post_buyer(conversation, buyer)
        self.cr.commit()
        with recording(self.cr) as captured:
            self.env["responso.reply"]._cron_send_due()
            self.env["responso.reply"]._cron_sending_upkeep()
        self.cr.commit()
        return captured

    def history_sample(self):
        """Time of the history facts alone (ADAPT: history_probe) on a fresh buyer message, or None."""
        samples = []

        def measure(conversation, buyer):
            message = self.post_buyer(conversation, buyer)
            self.env.flush_all()
            self.env.invalidate_all()
            with Sample(self.env) as sample:
                ok = history_probe(conversation, message)
            samples.append((sample.ms, sample.queries) if ok else None)
        self.rolled_back(self.new_conversation, measure)
        return samples[0]

    def capture_statements(self):
        """The SQL statements of one buyer message's post and flush (rolled back), as executed, and the parameters
        of the history function's calls."""
        history_calls = []
        original_history = history_sql.call

        def history(cr, **params):
            history_calls.append(params)
            return original_history(cr, **params)

        def measure(conversation, buyer):
            history_sql.call = history
            try:
                with recording(self.cr) as captured:
                    message = self.post_buyer(conversation, buyer)
                    self.env.flush_all()
            finally:
                history_sql.call = original_history
            # the statements of a decision, not of the autoresponder's error path (a probe that no longer fits)
            reasons = self.env["responso.decision"].search([("message_id", "=", message.id)]).mapped("reason_code")
            if len(reasons) != 1 or "error" in reasons or len(history_calls) != 1:
                raise AssertionError(f"the captured post was not decided normally: {reasons}, "
                                     f"{len(history_calls)} history call(s)")
            statements.extend(captured)
            return message

        statements = []
        self.rolled_back(self.new_conversation, measure)
        return statements, history_calls


@contextmanager
def recording(bench_cr):
    """The statements `bench_cr` executes in the block, rendered with their parameters (a list, filled)."""
    captured = []
    original = Cursor.execute

    def execute(cr, query, params=None, log_exceptions=True):
        if cr is bench_cr:
            code, args = (query.code, query.params) if isinstance(query, odoo.tools.SQL) else (query, params)
            try:
                captured.append(cr.mogrify(code, args).decode())
            except Exception:  # noqa: BLE001 - a statement we cannot render is simply not explained
                pass
        return original(cr, query, params, log_exceptions)

    Cursor.execute = execute
    try:
        yield captured
    finally:
        Cursor.execute = original


def size_row(scenario, small_name, large, small):
    """Row of `large` against `small`, each a (samples, plain posts interleaved with them) pair: the ratio of their
    two ratios to the plain post."""
    (samples, plain), (small_samples, small_plain) = large, small
    row = summarize(scenario, samples, small_name, small_samples, [("ratio", 1.25)])

    def ms(values):
        return median([value for value, _queries in values])

    row.ratio = stats.ratio(ms(samples) / ms(plain), ms(small_samples) / ms(small_plain))
    row.note = (f"ratio of the ratios to a plain post beside each "
                f"({stats.fmt(ms(small_plain))} → {stats.fmt(ms(plain))} ms)")
    return row


def plans_row(scenario, scans, explained, statements):
    return Row(scenario=f"{scenario}: seq scans on responso_reply/mail_message", targets=[("check", not scans)],
               check_text="index scans only",
               note=f"{len(scans)} of {explained} SELECTs on them (of {len(statements)} statements)" + (
                   ": " + "; ".join(scans[:3]) if scans else ""))


# -------------------------------------------------------------------------------------------------------------
# ADAPT: the history method and the reply table (decide()'s inputs are in decide_bench.py)
# -------------------------------------------------------------------------------------------------------------
def history_probe(conversation, message):
    """The history part of a post, alone (ADAPT when the method is renamed). Returns False when unavailable."""
    method = getattr(conversation, "_responso_history", None)
    if method is None:
        return False
    now = fields.Datetime.now().replace(tzinfo=timezone.utc)
    compiled = conversation.env["responso.workflow"]._responso_compiled(conversation._responso_company().id)
    limits = conversation._responso_limits()
    method(message, conversation._responso_account(), now, history_horizon(compiled.index, limits, now))
    return True


class HistoryFiller:
    """Fills responso_reply and mail_message with past traffic by SQL (ADAPT if the reply table's columns
    change): buyer messages (responso_kind 'buyer') and their replies, over the 100 accounts, 20,000 buyers and
    the last 90 days."""

    BUYERS = 20000

    def __init__(self, bench):
        self.bench = bench
        self.cr = bench.cr
        self.rows = 0
        self.buyers = None

    def prepare(self):
        env = self.bench.env
        self.cr.execute("""INSERT INTO res_partner (name, complete_name, active, type, create_date, write_date)
                           SELECT 'History buyer ' || n, 'History buyer ' || n, true, 'contact', now(), now()
                             FROM generate_series(1, %s) n RETURNING id""", [self.BUYERS])
        self.buyers = [row[0] for row in self.cr.fetchall()]
        self.cr.execute("CREATE TABLE bench_key (kind text, k int, id int, PRIMARY KEY (kind, k))")
        self.cr.execute("INSERT INTO bench_key SELECT 'buyer', ordinality - 1, id FROM unnest(%s::int[]) "
                        "WITH ORDINALITY AS id", [self.buyers])
        self.cr.execute("INSERT INTO bench_key SELECT 'account', ordinality - 1, id FROM unnest(%s::int[]) "
                        "WITH ORDINALITY AS id", [self.bench.accounts.ids])
        self.accounts = self.bench.accounts.ids
        self.company = env.company.id
        self.subtype = env.ref("mail.mt_comment").id
        self.workflow = self.bench.workflows[0]
        self.source = self.bench.source.id

    def fill_to(self, rows):
        if self.buyers is None:
            self.prepare()
        add = rows - self.rows
        if add <= 0:
            return
        cr = self.cr
        cr.execute("""
            CREATE TEMP TABLE bench_history ON COMMIT DROP AS
            SELECT n, b.id AS buyer, a.id AS account, (100000000 + n / 3)::int AS res_id,
                   now() at time zone 'UTC' - make_interval(secs => ((n * 104729) %% (90 * 86400))::int) AS at
              FROM generate_series(%(start)s::bigint, %(stop)s::bigint) n
              JOIN bench_key b ON b.kind = 'buyer' AND b.k = (n * 7919) %% %(buyers)s
              JOIN bench_key a ON a.kind = 'account' AND a.k = (n * 31) %% %(accounts)s""",
                   {"buyers": len(self.buyers), "accounts": len(self.accounts), "start": self.rows + 1, "stop": rows})
        cr.execute("""
            INSERT INTO mail_message (model, res_id, body, message_type, subtype_id, author_id, email_from, date,
                                      message_id, responso_kind, responso_account_id, responso_source_id,
                                      create_date, write_date, create_uid, write_uid)
            SELECT 'responso.conversation', res_id, '<p>History message ' || n || '</p>', 'comment', %(subtype)s,
                   buyer, 'History buyer', at, '<history-' || n || '@bench>', 'buyer', account, %(source)s,
                   at, at, 1, 1
              FROM bench_history""", {"subtype": self.subtype, "source": self.source})
        cr.execute("""
            INSERT INTO responso_reply (trigger_message_id, res_model, res_id, buyer_id, account_id, company_id,
                                        workflow_id, workflow_name, sequence, state, send_at, sent_at, attempts,
                                        create_date, write_date, create_uid, write_uid)
            SELECT m.id, 'responso.conversation', h.res_id, h.buyer, h.account, %(company)s, %(workflow)s,
                   'History workflow', 10, CASE WHEN h.n %% 10 = 0 THEN 'cancelled' ELSE 'sent' END,
                   h.at + interval '1 minute', CASE WHEN h.n %% 10 = 0 THEN NULL ELSE h.at + interval '1 minute' END,
                   1, h.at, h.at, 1, 1
              FROM bench_history h JOIN mail_message m ON m.message_id = '<history-' || h.n || '@bench>'""",
                   {"company": self.company, "workflow": self.workflow.id})
        self.cr.commit()
        # the steady state of a table that size in production, where autovacuum keeps up: statistics, and the
        # visibility map that index-only scans read (without it they visit the table for every row); done here,
        # so that no autovacuum of the new rows runs on the 2 cores during the measures that follow
        connection = self.cr._cnx
        connection.autocommit = True  # VACUUM cannot run in a transaction
        try:
            with connection.cursor() as cursor:
                for table in ("mail_message", "responso_reply", "res_partner"):
                    cursor.execute(f"VACUUM (ANALYZE) {table}")
        finally:
            connection.autocommit = False
        self.rows = rows


def explain_seq_scans(cr, statements, tables):
    """EXPLAIN each SELECT that reads one of `tables`: (the statements whose plan scans one of them sequentially,
    how many were explained)."""
    found = []
    explained = 0
    for statement in statements:
        text = statement.strip()
        if not text.upper().startswith(("SELECT", "WITH")) or not any(t in text for t in tables):
            continue
        explained += 1
        cr.execute("SAVEPOINT bench_explain")
        try:
            cr.execute("EXPLAIN " + text)
            plan = "\n".join(row[0] for row in cr.fetchall())
        except Exception:  # noqa: BLE001 - a statement EXPLAIN refuses is reported as such
            plan = ""
        cr.execute("ROLLBACK TO SAVEPOINT bench_explain")
        for table in tables:
            if f"Seq Scan on {table}" in plan:
                found.append(f"{table}: {' '.join(text.split())[:90]}…")
    return found, explained

