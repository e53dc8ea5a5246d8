"""The history a buyer message reads, as a PL/pgSQL function.

The history (``responso.autoresponder.mixin._responso_history``) runs in about 0.1 ms but took 0.5–0.9 ms to plan
on every buyer message: sub-queries over two tables with many (partial) indexes. PL/pgSQL keeps the plans of its
statements for the life of the database connection (the cache of prepared statements: a generic plan is kept when
it costs no more than planning for the values at hand), so the function's statements are cut by what their plans
depend on:

1. the buyer's earlier messages, the thread's previous one, the account's pause: equalities on indexed columns,
   whose generic plan is right whatever the table sizes — planned once per connection;
2. the replies of the thread and to the buyer: an equality on a thread or a buyer bounds them, the time bound
   narrows further — generic plans too;
3. the account's replies of the last hour: its plan depends on the time bound (a large account has months of
   replies), so the database plans it for the values at hand when a generic plan would cost more — a plan of one
   small statement.

Every part is bounded in time or by the thread and served by an index (``responso.reply`` and ``mail.message``
``init``); the two variants (with and without an account) keep each condition an index condition. The function
lives in the database: it works the same behind a transaction-pooling connection pooler, where a session's
``PREPARE`` would not.
"""

import re

from odoo.tools import SQL

FUNCTION = "responso_history"

# responso.reply rows that may reach, or may have reached, the buyer: what throttling and caps count (a reply
# whose answer was lost, verify / unknown, may well have been delivered); the reply's indexes use it too
LIVE_STATES_SQL = "state IN ('scheduled', 'sending', 'sent', 'verify', 'unknown')"


def _statements(account_match, reply_account, account_hour):
    """The function's statements: (SELECT, the OUT parameters it sets)."""
    return (
        (f"""SELECT COALESCE((SELECT responso_paused FROM responso_account WHERE id = p_account), false),
                   EXISTS(SELECT 1 FROM mail_message
                           WHERE responso_kind = 'buyer' AND author_id = p_buyer AND id != p_message
                             AND {account_match}),
                   p_body IS NOT NULL AND EXISTS(
                       SELECT 1 FROM mail_message
                        WHERE res_id = p_res_id AND model = p_model AND id != p_message AND body = p_body),
                   (SELECT date FROM mail_message
                     WHERE model = p_model AND res_id = p_res_id AND responso_kind = 'buyer' AND id < p_message
                     ORDER BY id DESC LIMIT 1)""", "o_paused, o_earlier, o_same_body, o_previous"),
        # the buyer's replies behind OFFSET 0: max() over an expression of an index range made the planner try
        # ordered index paths first, for half the planning time of the whole history
        (f"""SELECT conversation.day_count, conversation.last_sent, buyer.last_reply
               FROM (SELECT count(*) FILTER (WHERE send_at >= p_day) AS day_count,
                            max(sent_at) FILTER (WHERE state = 'sent') AS last_sent
                       FROM responso_reply
                      WHERE res_id = p_res_id AND res_model = p_model AND send_at >= p_two_days AND {LIVE_STATES_SQL}
                    ) AS conversation,
                    (SELECT max(replied) AS last_reply
                       FROM (SELECT COALESCE(sent_at, send_at) AS replied
                               FROM responso_reply
                              WHERE buyer_id = p_buyer AND {reply_account} AND send_at >= p_horizon
                                AND {LIVE_STATES_SQL}
                             OFFSET 0) AS replies
                    ) AS buyer""", "o_day_count, o_last_sent, o_last_reply"),
        (f"SELECT {account_hour}", "o_hour_count"),
    )


VARIANTS = {
    # with an account
    True: _statements(
        account_match="responso_account_id = p_account",
        reply_account="account_id = p_account",
        account_hour=f"count(*) FROM responso_reply WHERE account_id = p_account AND send_at >= p_hour "
                     f"AND {LIVE_STATES_SQL}",
    ),
    # without: a returning buyer in a new thread is not "first"; the company's messages count
    False: _statements(
        account_match="responso_account_id IS NULL AND (record_company_id = p_company OR record_company_id IS NULL)",
        reply_account="account_id IS NULL",
        account_hour="0::bigint",
    ),
}


def _body(statements):
    return "\n".join(f"        {select}\n        INTO {targets};" for select, targets in statements)


# the function's parameters, in order, with their types
PARAMETERS = (("model", "varchar"), ("res_id", "integer"), ("buyer", "integer"), ("account", "integer"),
              ("company", "integer"), ("message", "integer"), ("body", "text"), ("day", "timestamp"),
              ("two_days", "timestamp"), ("hour", "timestamp"), ("horizon", "timestamp"))

CREATE = f"""
CREATE FUNCTION {FUNCTION}(
    {", ".join(f"p_{name} {kind}" for name, kind in PARAMETERS)},
    OUT o_day_count bigint, OUT o_last_sent timestamp, OUT o_last_reply timestamp, OUT o_hour_count bigint,
    OUT o_paused boolean, OUT o_earlier boolean, OUT o_same_body boolean, OUT o_previous timestamp)
LANGUAGE plpgsql STABLE AS $function$
BEGIN
    IF p_account IS NOT NULL THEN
{_body(VARIANTS[True])}
    ELSE
{_body(VARIANTS[False])}
    END IF;
END
$function$
"""


def create_function(cr):
    """(Re)create the function, on install and on every upgrade: dropped first, since CREATE OR REPLACE cannot
    change the columns a function returns."""
    drop_function(cr)
    cr.execute(CREATE)


def drop_function(cr):
    cr.execute(SQL("DROP FUNCTION IF EXISTS %s", SQL.identifier(FUNCTION)))


def call(cr, **params):
    """The history row: (day_count, last_sent, last_reply, hour_count, paused, earlier, same_body, previous)."""
    cr.execute(SQL(f"SELECT * FROM {FUNCTION}(%s)", SQL(", ").join(params[name] for name, _kind in PARAMETERS)))
    return cr.fetchone()


def explain(cr, params, generic):
    """EXPLAIN of the function's statements for `params` (the keyword arguments of ``call``), as the function runs
    them: prepared, with the plan for these values (`generic` False) or the generic plan it may keep (True). For
    the tests and the benchmark: the plans inside a function do not show in an EXPLAIN of its call."""
    numbers = {name: index for index, (name, _kind) in enumerate(PARAMETERS, 1)}
    plans = []
    for select, _targets in VARIANTS[params["account"] is not None]:
        query = re.sub(r"\bp_(\w+)\b", lambda match: f"${numbers[match.group(1)]}", select)
        cr.execute(SQL("PREPARE responso_history_explain (%s) AS %s",
                       SQL(", ").join(SQL(kind) for _name, kind in PARAMETERS), SQL(query)))
        try:
            cr.execute(SQL("SET LOCAL plan_cache_mode = %s",
                           "force_generic_plan" if generic else "force_custom_plan"))
            cr.execute(SQL("EXPLAIN EXECUTE responso_history_explain (%s)",
                           SQL(", ").join(params[name] for name, _kind in PARAMETERS)))
            plans.append("\n".join(row[0] for row in cr.fetchall()))
        finally:
            cr.execute("RESET plan_cache_mode")
            cr.execute("DEALLOCATE responso_history_explain")
    return "\n".join(plans)
