"""The benchmark's workload, as plain data (no Odoo): marketplace accounts and a realistic mix of workflows.

A large seller: 100 accounts over Allegro, eBay, Amazon and e-mail; workflows of 3 to 5 conditions on accounts,
sources, weekdays and time windows (some with a delay). The benchmark message arrives on account 0 (Allegro
Message Center); exactly one workflow of the mix answers it, whatever the day and the hour: every other one
names other accounts, or other sources."""

import random

ACCOUNT_COUNT = 100
BENCH_ACCOUNT = 0
BENCH_SOURCE = "allegro_messages"
SOURCES = {
    "allegro": ("allegro_discussions", "allegro_messages"),
    "ebay": ("ebay",),
    "amazon": ("amazon",),
    "email": ("email",),
}
ALL_DAYS = tuple(range(7))
TZ = "Europe/Warsaw"
# the buyer's message, the workflows' reply, and the text of base_automation's reply (the peer)
BODY = "<p>Hello, where is my parcel? I ordered it last week and have not received it yet.</p>"
REPLY = "<p>Thank you for your message: we will answer within 24 hours.</p>"
PEER_REPLY = "Thank you for your message: we will answer within 24 hours."


def account_integration(index):
    """Integration code of account `index`: 40 Allegro, 30 eBay, 15 Amazon, 15 mailboxes."""
    if index < 40:
        return "allegro"
    if index < 70:
        return "ebay"
    if index < 85:
        return "amazon"
    return "email"


def accounts(count=ACCOUNT_COUNT):
    return [{"index": i, "name": f"Bench account {i:03d}", "integration": account_integration(i)}
            for i in range(count)]


def _days(rng):
    kind = rng.random()
    if kind < 0.4:
        return "in", (0, 1, 2, 3, 4)  # working days
    if kind < 0.6:
        return "in", (5, 6)  # weekend
    return rng.choice(("in", "not_in")), tuple(sorted(rng.sample(ALL_DAYS, rng.randint(1, 6))))


def _window(rng):
    start = rng.choice((0, 6, 8, 9, 10, 16, 18, 20, 22))
    end = (start + rng.choice((2, 4, 8, 10, 12, 16))) % 24
    return rng.choice(("in", "not_in")), float(start), float(end)


def matching_workflow():
    """The one workflow that answers the benchmark message: its account, Allegro sources, every day."""
    return {
        "name": "Bench: Allegro account 0, each message",
        "sequence": 5000,
        "matching": True,
        "conditions": [
            {"kind": "trigger", "trigger": "each_message"},
            {"kind": "account", "operator": "in", "accounts": (BENCH_ACCOUNT,)},
            {"kind": "source", "operator": "in", "sources": SOURCES["allegro"]},
            {"kind": "weekday", "operator": "in", "days": ALL_DAYS},
        ],
    }


def other_workflow(index, rng, account_count=ACCOUNT_COUNT):
    """A workflow that never answers the benchmark message, with 3 to 5 conditions."""
    conditions = [{"kind": "trigger", "trigger": rng.choice(("each_message", "each_message", "first_message"))}]
    shape = rng.random()
    if shape < 0.02:
        # account 0, but only its Allegro Discussions (the benchmark message comes from the Message Center)
        conditions.append({"kind": "account", "operator": "in", "accounts": (BENCH_ACCOUNT,)})
        conditions.append({"kind": "source", "operator": "in", "sources": ("allegro_discussions",)})
    elif shape < 0.07:
        # every account of another marketplace: a source condition only
        integration = rng.choice(("ebay", "amazon", "email"))
        conditions.append({"kind": "source", "operator": "in", "sources": SOURCES[integration]})
    else:
        # one to three other accounts, maybe restricted to their sources
        chosen = tuple(sorted(rng.sample(range(1, account_count), rng.choice((1, 1, 1, 2, 3)))))
        conditions.append({"kind": "account", "operator": "in", "accounts": chosen})
        if rng.random() < 0.5:
            sources = sorted({s for a in chosen for s in SOURCES[account_integration(a)]})
            conditions.append({"kind": "source", "operator": "in", "sources": tuple(sources)})
    extras = [lambda: dict(zip(("operator", "days"), _days(rng), strict=True), kind="weekday"),
              lambda: dict(zip(("operator", "time_from", "time_to"), _window(rng), strict=True), kind="time_window"),
              lambda: {"kind": "delay", "minutes": rng.choice((5, 10, 30, 60))}]
    rng.shuffle(extras)
    for make in extras[:max(0, rng.randint(3, 5) - len(conditions))]:
        conditions.append(make())
    if len(conditions) < 3:
        conditions.append(extras[-1]())
    return {"name": f"Bench workflow {index:05d}", "sequence": rng.randint(1, 9999), "matching": False,
            "conditions": conditions}


def workflow_mix(count, seed=7, account_count=ACCOUNT_COUNT):
    """`count` workflows: the matching one first, then the others (any prefix of the list holds it)."""
    rng = random.Random(seed)
    mix = [matching_workflow()] if count else []
    mix += [other_workflow(index, rng, account_count) for index in range(1, count)]
    return mix


def all_matching_mix(count):
    """`count` workflows that all hold for the benchmark message (only the first in sequence answers)."""
    return [{
        "name": f"Bench all-match {index:05d}",
        "sequence": index,
        "matching": True,
        "conditions": [
            {"kind": "trigger", "trigger": "each_message"},
            {"kind": "account", "operator": "in", "accounts": (BENCH_ACCOUNT, 1 + index % 39)},
            {"kind": "source", "operator": "in", "sources": SOURCES["allegro"]},
            {"kind": "weekday", "operator": "in", "days": ALL_DAYS},
            {"kind": "time_window", "operator": "not_in", "time_from": 3.0, "time_to": 3.5},
        ],
    } for index in range(count)]
