"""The rows a buyer message's outcome leaves (its decision log row, the queued replies, the sending cron's wake-up),
written in one INSERT statement.

Three ORM ``create`` calls cost about 2 ms on every answered buyer message (defaults, field conversions, cache
and recompute bookkeeping for rows nothing reads in that transaction), more than the plain ``message_post`` they
follow. These rows are written only here, by our own code, with values built by it: their columns are converted by
the fields themselves (``convert_to_column_insert``, as ``BaseModel._create`` does), the log columns are the ORM's,
and the database keeps the constraints (required columns, the one answer per action and message). Neither model
has a stored computed field, a Python constraint or a ``create`` that must run (``responso.reply.create`` only
refuses state-machine values from outside, which this is not).
"""

from odoo.tools import SQL


def insert_sql(model, rows):
    """``INSERT INTO <table> … RETURNING id`` of `rows` (dicts of stored fields) with the ORM's log columns."""
    now, uid = model.env.cr.now(), model.env.uid
    rows = [dict(row, create_uid=uid, create_date=now, write_uid=uid, write_date=now) for row in rows]
    fields = [model._fields[name] for name in sorted(set().union(*rows))]
    # the statement's text built at once (column names are the models' own): composing an SQL object per value
    # cost more than the insert itself
    placeholders = "(%s)" % ", ".join(["%s"] * len(fields))
    return SQL(
        'INSERT INTO "%s" (%s) VALUES %s RETURNING id' % (
            model._table, ", ".join(f'"{field.name}"' for field in fields), ", ".join([placeholders] * len(rows))),
        *(field.convert_to_column_insert(row.get(field.name), model, row) for row in rows for field in fields))


def insert_outcome(env, decision, replies, trigger):
    """Insert the decision row (a dict), the reply rows (dicts, maybe none) and the cron trigger (a dict, or None)
    in one statement; return (decision id, reply ids)."""
    parts = [SQL("decision AS (%s)", insert_sql(env["responso.decision"], [decision]))]
    if replies:
        parts.append(SQL("reply AS (%s)", insert_sql(env["responso.reply"], replies)))
    if trigger:
        parts.append(SQL("wake AS (%s)", insert_sql(env["ir.cron.trigger"], [trigger])))
    env.cr.execute(SQL("WITH %s SELECT (SELECT id FROM decision), %s", SQL(", ").join(parts),
                       SQL("ARRAY(SELECT id FROM reply ORDER BY id)") if replies else SQL("ARRAY[]::integer[]")))
    return env.cr.fetchone()
