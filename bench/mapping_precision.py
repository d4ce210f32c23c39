"""Measure how often the mapping suggester picks the labelled product.

Usage: python bench/mapping_precision.py [--catalog PATH] [--labels PATH] [--repeat N]

Reads the demo catalogue and the labelled farm descriptions, builds a SuggestionIndex and
prints first-suggestion precision, top-3 precision, precision and coverage at or above
AUTO_ACCEPT_SCORE, query throughput and the machine the numbers were measured on.

It also runs a leave-one-out check, which models a farm product that is missing from the
catalogue. For each row it takes the best suggestion other than the labelled product, which is
wrong by construction, and counts how many of those reach the threshold. The sweep table
combines both sets, so its precision is the share of right answers among all first suggestions
at or above a score.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mapping.suggest import AUTO_ACCEPT_SCORE, CatalogEntry, SuggestionIndex  # noqa: E402

DEFAULT_CATALOG = ROOT / "catalog" / "fixtures" / "demo_catalog.json"
DEFAULT_LABELS = ROOT / "bench" / "data" / "farm_descriptions.csv"


def load_entries(path: Path) -> tuple[list[CatalogEntry], dict[str, int]]:
    """Load catalogue products and return them with a legacy code to product id map."""
    products = json.loads(path.read_text(encoding="utf-8"))["products"]
    entries = [
        CatalogEntry(
            id=product["id"],
            description=product["description"],
            category=product["category"],
            variety=product["variety"],
            color=product["color"],
            grade=product["grade"],
        )
        for product in products
    ]
    ids = {product["legacyCode"]: product["id"] for product in products}
    return entries, ids


def load_labels(path: Path) -> list[dict[str, str]]:
    """Load the labelled rows of ``farm_descriptions.csv``."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo, or the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def percent(part: int, whole: int) -> str:
    """Format ``part / whole`` as a percentage, or "n/a" when ``whole`` is zero."""
    return f"{100.0 * part / whole:.1f} %" if whole else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG,
                        help="catalogue JSON with a 'products' list")
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS,
                        help="CSV of labelled farm descriptions")
    parser.add_argument("--repeat", type=int, default=50,
                        help="passes over the labelled rows for the throughput measurement")
    parser.add_argument("--show-misses", action="store_true",
                        help="print every row whose first suggestion is wrong")
    args = parser.parse_args()

    entries, ids = load_entries(args.catalog)
    rows = load_labels(args.labels)
    missing = [row["expected_legacy_code"] for row in rows
               if row["expected_legacy_code"] not in ids]
    if missing:
        print(f"error: labelled legacy codes not found in the catalogue: {missing}",
              file=sys.stderr)
        return 1

    started = time.perf_counter()
    index = SuggestionIndex(entries)
    build_seconds = time.perf_counter() - started
    description_by_id = {entry.id: entry.description for entry in entries}

    first_right = top3_right = accepted = accepted_right = 0
    right_scores: list[float] = []
    wrong_scores: list[float] = []
    missing_scores: list[float] = []
    for row in rows:
        expected = ids[row["expected_legacy_code"]]
        suggestions = index.suggest(row["farm_description"], limit=4)
        others = [suggestion for suggestion in suggestions if suggestion.product_id != expected]
        if others:
            missing_scores.append(others[0].score)
        suggestions = suggestions[:3]
        first = suggestions[0] if suggestions else None
        if first is not None:
            if first.product_id == expected:
                right_scores.append(first.score)
            else:
                wrong_scores.append(first.score)
        if first is not None and first.product_id == expected:
            first_right += 1
        elif args.show_misses:
            got = f"{description_by_id[first.product_id]} ({first.score})" if first else "none"
            print(f"miss: {row['farm_description']!r} -> {got}, "
                  f"expected {description_by_id[expected]}")
        if any(suggestion.product_id == expected for suggestion in suggestions):
            top3_right += 1
        if first is not None and first.score >= AUTO_ACCEPT_SCORE:
            accepted += 1
            accepted_right += first.product_id == expected

    queries = [row["farm_description"] for row in rows] * max(1, args.repeat)
    started = time.perf_counter()
    for text in queries:
        index.suggest(text, limit=3)
    query_seconds = time.perf_counter() - started

    total = len(rows)
    print(f"catalogue products:        {len(entries)}")
    print(f"labelled descriptions:     {total}")
    print(f"first suggestion right:    {first_right}/{total} ({percent(first_right, total)})")
    print(f"right within top 3:        {top3_right}/{total} ({percent(top3_right, total)})")
    print(f"auto-accept threshold:     {AUTO_ACCEPT_SCORE}")
    print(f"  precision at threshold:  {accepted_right}/{accepted} "
          f"({percent(accepted_right, accepted)})")
    print(f"  coverage at threshold:   {accepted}/{total} ({percent(accepted, total)})")
    missing_accepted = sum(score >= AUTO_ACCEPT_SCORE for score in missing_scores)
    print(f"  leave-one-out accepted:  {missing_accepted}/{len(missing_scores)} "
          f"(best other product scores >= threshold)")
    print("sweep over labelled and leave-one-out first suggestions:")
    print("  score >=  precision  labelled coverage")
    for threshold in range(70, 100, 2):
        right = sum(score >= threshold for score in right_scores)
        wrong = sum(score >= threshold for score in wrong_scores + missing_scores)
        print(f"  {threshold:8d}  {percent(right, right + wrong):>9}  {percent(right, total):>8}")
    print(f"index build:               {build_seconds * 1000:.1f} ms")
    print(f"queries per second:        {len(queries) / query_seconds:,.0f} "
          f"({len(queries)} queries in {query_seconds:.2f} s, one thread)")
    print(f"machine:                   {cpu_model()}, {os.cpu_count()} logical cores, "
          f"Python {platform.python_version()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
