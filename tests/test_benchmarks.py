"""The benchmark's pure helpers (benchmarks/): figures, the table, and the workload's one matching workflow.

The benchmark itself is not a test: it runs with ./benchmarks/run, never in the test command."""

import math

from benchmarks import decide_bench, workload
from benchmarks.stats import Row, format_table, median, p90, ratio
from responso_autoresponder import engine


def test_median_and_p90():
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 2, 3]) == 2.5
    assert p90(list(range(1, 11))) == 9
    assert p90([5]) == 5
    assert math.isnan(median([]))
    assert ratio(3, 2) == 1.5
    assert math.isnan(ratio(3, 0))


def test_verdicts():
    assert Row("a", median_ms=2, ratio=1.05, targets=[("ratio", 1.1)]).verdict() == "ok"
    assert Row("a", median_ms=2, ratio=1.2, targets=[("ratio", 1.1)]).verdict() == "MISSED"
    assert Row("a", ratio=2.0, targets=[("min_ratio", 1.8)]).verdict() == "ok"
    assert Row("a", median_ms=0.5, targets=[("ms", 1)]).verdict() == "ok"
    both = Row("a", ratio=1.0, queries=20, targets=[("ratio", 1.6), ("queries", 18)])
    assert both.verdict() == "MISSED" and both.misses() == ["≤ 18 q"]
    assert Row("a", targets=[("check", False)], check_text="= 0").verdict() == "MISSED"
    assert Row("a", targets=[("ratio", 1.1)]).verdict() == "n/a"
    assert Row("a").verdict() == "" and Row("a").target_text() == "(reference)"


def test_table_has_every_figure_beside_its_baseline():
    table = format_table([Row("conversation, 0 workflows", 5.5, 7.25, 12, "plain post 5.00 ms", 1.1,
                              [("ratio", 1.1)], samples=40)])
    header, separator, line = table.splitlines()
    assert header.startswith("| scenario") and "ok/MISSED" in header
    assert set(separator) <= {"|", "-", ":"}
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    assert cells == ["conversation, 0 workflows", "5.50", "7.25", "12", "40", "plain post 5.00 ms", "1.10×",
                     "≤ 1.1×", "ok"]


def test_workload_mix_answers_the_benchmark_message_once():
    facts = decide_bench.bench_facts()
    for mix in (workload.workflow_mix(400), workload.all_matching_mix(50)):
        specs = decide_bench.build_specs(mix)
        outcome = decide_bench.run_decide(decide_bench.prepare_decide(specs), facts, facts.received_at)
        assert outcome.total == len(mix)
        assert outcome.answers
        # the index's outcome is the one decide() gives over every workflow
        decisions = engine.decide(specs, facts, facts.received_at)
        assert [d.workflow_id for d in decisions if d.answers] == [outcome.decision.workflow_id]
    mix = workload.workflow_mix(1000)
    assert mix[0]["matching"] and not any(w["matching"] for w in mix[1:])
    assert all(3 <= len(w["conditions"]) <= 5 for w in mix)
    assert len({a for w in mix for c in w["conditions"] if c["kind"] == "account" for a in c["accounts"]}) == 100
