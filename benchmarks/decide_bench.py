"""decide() alone: the engine's inputs for the benchmark's workload (plain Python; ADAPT after a rewrite).

The lead's rewrite may compile workflows or give decide() an index in place of the list: ``prepare_decide``
(built once per workflow set, not measured) and ``run_decide`` (one message, measured) are the two functions to
change; ``build_specs`` turns the workload's definitions (workload.py) into the engine's WorkflowSpec objects.
"""

from datetime import datetime, timezone

try:  # inside Odoo, the addon's own module (importing the addon by its bare name there would load it twice)
    from odoo.addons.responso_autoresponder import engine
except ImportError:  # plain Python (pytest): the engine imports no Odoo
    from responso_autoresponder import engine

try:
    import workload
except ImportError:
    from benchmarks import workload


def bench_facts():
    """The benchmark message as the engine sees it: account 0, Allegro Message Center, a Tuesday at 12:00 UTC."""
    ids = source_ids()
    return engine.MessageFacts(message_id=1, received_at=datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc),
                               source=ids[workload.BENCH_SOURCE], integration=1, account=account_id(0))


def source_ids():
    return {code: index + 1 for index, code in enumerate(
        ("allegro_discussions", "allegro_messages", "ebay", "amazon", "email"))}


def account_id(index):
    return 1000 + index


def build_specs(mix):
    """WorkflowSpec objects for a workload mix (ids as in bench_facts)."""
    ids = source_ids()
    specs = []
    for index, definition in enumerate(mix):
        conditions = []
        for cond in definition["conditions"]:
            kind = cond["kind"]
            if kind == "trigger":
                conditions.append(engine.Condition(kind, "in", frozenset([cond["trigger"]])))
            elif kind == "account":
                conditions.append(engine.Condition(kind, cond["operator"],
                                                   frozenset(account_id(a) for a in cond["accounts"])))
            elif kind == "source":
                conditions.append(engine.Condition(kind, cond["operator"], frozenset(ids[s] for s in cond["sources"])))
            elif kind == "weekday":
                conditions.append(engine.Condition(kind, cond["operator"], frozenset(cond["days"])))
            elif kind == "time_window":
                conditions.append(engine.Condition(kind, cond["operator"], start_minute=round(cond["time_from"] * 60),
                                                   end_minute=round(cond["time_to"] * 60)))
            elif kind == "delay":
                conditions.append(engine.Condition(kind, delay_minutes=cond["minutes"]))
        specs.append(engine.WorkflowSpec(id=index + 1, name=definition["name"], sequence=definition["sequence"],
                                         tz=workload.TZ, conditions=tuple(conditions), interval_minutes=0))
    return specs


def prepare_decide(specs):
    """What the hook decides with, built once per workflow set (not measured): the compiled index, as the
    registry cache keeps it."""
    return engine.WorkflowIndex(specs)


def run_decide(prepared, facts, now):
    """One decision, as the hook makes it (measured): the candidates of the message, then the outcome."""
    return prepared.decide(facts, now, None, None)


