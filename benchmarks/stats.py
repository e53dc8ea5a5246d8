"""Figures of a benchmark run: medians, p90, ratios and the one table a run prints (plain Python, no Odoo)."""

import math
from dataclasses import dataclass, field


def median(values):
    ordered = sorted(values)
    if not ordered:
        return math.nan
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values, fraction):
    """Nearest-rank percentile (fraction 0.9 for p90): a value that was measured, never an interpolation."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(math.ceil(fraction * len(ordered)), 1)
    return ordered[rank - 1]


def p90(values):
    return percentile(values, 0.9)


def ratio(value, baseline):
    if baseline is None or value is None or not baseline or math.isnan(baseline) or math.isnan(value):
        return math.nan
    return value / baseline


@dataclass
class Row:
    """One line of the table.

    `targets` lists what the row must meet, each (kind, limit): "ratio" (ratio ≤ limit), "min_ratio" (ratio ≥
    limit), "ms" (median ≤ limit ms), "queries" (queries ≤ limit) or "check" (limit is a boolean the scenario
    computed, `check_text` says what it is). No target: a reference figure."""

    scenario: str
    median_ms: float = math.nan
    p90_ms: float = math.nan
    queries: float | None = None
    baseline: str = ""
    ratio: float = math.nan
    targets: list = field(default_factory=list)
    samples: int = 0
    check_text: str = ""
    note: str = ""

    def misses(self):
        """The targets this row misses (as texts); None when a figure is missing."""
        missed = []
        for kind, limit in self.targets:
            if kind == "check":
                if not limit:
                    missed.append(self.check_text)
                continue
            value = {"ratio": self.ratio, "min_ratio": self.ratio, "ms": self.median_ms,
                     "queries": self.queries}[kind]
            if value is None or math.isnan(value):
                return None
            if (value < limit) if kind == "min_ratio" else (value > limit):
                missed.append(target_text(kind, limit))
        return missed

    def verdict(self):
        if not self.targets:
            return ""
        missed = self.misses()
        if missed is None:
            return "n/a"
        return "MISSED" if missed else "ok"

    def target_text(self):
        if not self.targets:
            return "(reference)"
        return ", ".join(self.check_text if kind == "check" else target_text(kind, limit)
                         for kind, limit in self.targets)


def target_text(kind, limit):
    return {"ratio": f"≤ {limit:g}×", "min_ratio": f"≥ {limit:g}×", "ms": f"≤ {limit:g} ms",
            "queries": f"≤ {limit:g} q"}[kind]


def fmt(value, digits=2):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and digits == 0):
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.{digits}f}"


COLUMNS = ("scenario", "median ms", "p90 ms", "queries", "n", "baseline", "ratio", "target", "ok/MISSED")


def row_cells(row):
    return (
        row.scenario,
        fmt(row.median_ms),
        fmt(row.p90_ms),
        "—" if row.queries is None else fmt(row.queries, 0),
        str(row.samples or "—"),
        row.baseline or "—",
        "—" if math.isnan(row.ratio) else f"{row.ratio:.2f}×",
        row.target_text(),
        row.verdict() + (f" {row.note}" if row.note else ""),
    )


def format_table(rows):
    """A Markdown table (readable as plain text too): every figure beside its baseline and its target."""
    cells = [COLUMNS] + [row_cells(row) for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    numeric = {1, 2, 3, 4, 6}

    def line(values):
        parts = [value.rjust(widths[i]) if i in numeric else value.ljust(widths[i]) for i, value in enumerate(values)]
        return "| " + " | ".join(parts) + " |"

    separator = "|" + "|".join(("-" * (w + 1) + ":") if i in numeric else ("-" * (w + 2))
                                for i, w in enumerate(widths)) + "|"
    return "\n".join([line(cells[0]), separator] + [line(values) for values in cells[1:]])
