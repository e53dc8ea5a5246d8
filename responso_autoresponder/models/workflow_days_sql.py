"""The workflows a decision skipped or applied, indexed by workflow *and day*, for counters that do not grow with
the past.

A decision lists the workflows whose conditions also held without answering (``skipped_workflow_ids``) and those
that send no message and applied their actions (``applied_workflow_ids``): JSON lists of ids, one row per buyer
message. A GIN index on the lists finds a workflow's rows, but of all time: the Workflows list's *Skipped (30
days)* then read every decision that ever skipped the workflow and dropped the older ones by date (60,000 heap
rows for 20,000 counted, on a table of 300,000 decisions), and *Last triggered* every decision it ever applied to.

Here each list becomes an array of keys, ``workflow id × 100,000 + day`` (days since 1999-12-31 of the
decision's ``create_date``, UTC: 1 and more) and ``workflow id × 100,000`` (any day), and the GIN index is built on
that array: a workflow's rows of given days are the union of a few posting lists, so a 30-day count reads the 30
days' rows; the any-day key serves the all-time counters as the first index did. The key function is IMMUTABLE,
as an index expression must be: changing what it returns needs a new function name (and the indexes built again).
It is PL/pgSQL, whose plans a connection keeps: as an SQL function it was planned again by every INSERT of a
decision (90 µs against 15 µs).
"""

from odoo.tools import SQL

KEY_FUNCTION = "responso_workflow_day_keys"
RANGE_FUNCTION = "responso_workflow_day_range"
EPOCH = "DATE '1999-12-31'"  # day 1 is 2000-01-01; 0 stands for any day
DAYS_PER_WORKFLOW = 100000  # days since 1999-12-31: enough until 2273

CREATE = f"""
CREATE OR REPLACE FUNCTION {KEY_FUNCTION}(ids jsonb, at timestamp without time zone) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    day integer := at::date - {EPOCH};
    keys bigint[] := '{{}}';
    value text;
BEGIN
    IF jsonb_typeof(ids) <> 'array' THEN
        RETURN keys;
    END IF;
    FOR value IN SELECT jsonb_array_elements_text(ids) LOOP
        IF value ~ '^[0-9]{{1,9}}$' THEN
            keys := keys || value::bigint * {DAYS_PER_WORKFLOW} || value::bigint * {DAYS_PER_WORKFLOW} + day;
        END IF;
    END LOOP;
    RETURN keys;
END
$$;
CREATE OR REPLACE FUNCTION {RANGE_FUNCTION}(workflow integer, since timestamp without time zone,
                                            until timestamp without time zone) RETURNS bigint[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_agg(workflow::bigint * {DAYS_PER_WORKFLOW} + day)
      FROM generate_series(since::date - {EPOCH}, until::date - {EPOCH}) AS day
$$;
"""

# (index name, the decision's list column)
INDEXES = (
    ("responso_decision_skipped_days_gin", "skipped_workflow_ids"),
    ("responso_decision_applied_days_gin", "applied_workflow_ids"),
)
# the lists' first indexes (all time): replaced by the ones above
OLD_INDEXES = ("responso_decision_skipped_workflows_gin", "responso_decision_applied_workflows_gin")


def create(cr):
    """The functions and the decision table's indexes on them (install and every upgrade: idempotent)."""
    cr.execute(CREATE)
    for name in OLD_INDEXES:
        cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(name)))
    for name, column in INDEXES:
        cr.execute(SQL(
            "CREATE INDEX IF NOT EXISTS %s ON responso_decision USING gin (%s(%s, create_date)) WHERE %s IS NOT NULL",
            SQL.identifier(name), SQL.identifier(KEY_FUNCTION), SQL.identifier(column), SQL.identifier(column)))


def drop(cr):
    """On uninstall: the functions are ours (the indexes on them go with them, and the table with the model)."""
    for function in (KEY_FUNCTION, RANGE_FUNCTION):
        cr.execute(SQL("DROP FUNCTION IF EXISTS %s CASCADE", SQL.identifier(function)))


def listed(column, workflow, since=None, until=None, alias="d"):
    """The condition "the decision (`alias`) lists `workflow` (an SQL expression) in `column`", on a day from
    `since` to `until` (SQL expressions or values; both or neither: any day), in the indexes' own terms."""
    keys = (SQL("%s(%s, %s, %s)", SQL.identifier(RANGE_FUNCTION), workflow, since, until) if since is not None
            else SQL("ARRAY[%s::bigint * %s]", workflow, DAYS_PER_WORKFLOW))
    return SQL("%s(%s, %s) && %s AND %s IS NOT NULL", SQL.identifier(KEY_FUNCTION), SQL.identifier(alias, column),
               SQL.identifier(alias, "create_date"), keys, SQL.identifier(alias, column))
