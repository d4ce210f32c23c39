"""Catalogue suggestions for farm codes, stored on the code row when it is first seen.

Products are ranked by `mapping.suggest.SuggestionIndex`, built once per process from the
active catalogue and rebuilt when the catalogue version (row count, active count and
latest `updated_at`) changes. Box types, carriers and customers are short lists, so they
are ranked by rapidfuzz's WRatio over code and name on every call.

Each stored suggestion is {"id", "label", "score", "matched"}. The label is kept so the
queue shows it without a query per row; the refresh action rewrites it after a rename.
"""

import logging
import threading
from collections.abc import Iterable

from django.db.models import Count, Max, Q
from rapidfuzz import fuzz, process, utils

from catalog.models import BoxType, Carrier, Customer, Product
from mapping.kinds import spec_for
from mapping.models import MappingKind, VendorCode
from mapping.suggest import CatalogEntry, SuggestionIndex

logger = logging.getLogger(__name__)

SUGGESTION_LIMIT = 3

_index_lock = threading.Lock()
_index_cache: dict[str, object] = {"version": None, "index": None, "labels": {}}


def catalogue_version() -> tuple:
    """Return a value that changes whenever a product is added, changed, deactivated or deleted."""
    row = Product.objects.aggregate(
        count=Count("id"), active=Count("id", filter=Q(active=True)), latest=Max("updated_at")
    )
    return (row["count"], row["active"], row["latest"])


def product_index() -> tuple[SuggestionIndex, dict[int, str]]:
    """Return the process-wide index of active products and their labels, rebuilt if stale."""
    version = catalogue_version()
    with _index_lock:
        if _index_cache["version"] != version or _index_cache["index"] is None:
            products = list(
                Product.objects.filter(active=True).values(
                    "id", "description", "category", "variety", "color", "grade", "legacy_code"
                )
            )
            entries = [
                CatalogEntry(
                    id=row["id"],
                    description=row["description"],
                    category=row["category"],
                    variety=row["variety"],
                    color=row["color"],
                    grade=row["grade"],
                )
                for row in products
            ]
            _index_cache["index"] = SuggestionIndex(entries)
            _index_cache["labels"] = {
                row["id"]: f"{row['description']} [{row['legacy_code']}]" for row in products
            }
            _index_cache["version"] = version
            logger.info("Built the product suggestion index: %d active products", len(entries))
        return _index_cache["index"], _index_cache["labels"]  # type: ignore[return-value]


def _product_suggestions(text: str) -> list[dict]:
    index, labels = product_index()
    return [
        {
            "id": suggestion.product_id,
            "label": labels.get(suggestion.product_id, str(suggestion.product_id)),
            "score": suggestion.score,
            "matched": list(suggestion.matched),
        }
        for suggestion in index.suggest(text, SUGGESTION_LIMIT)
    ]


def _name_suggestions(code: str, text: str, candidates: Iterable[tuple[int, str, str]]) -> list:
    """Rank (id, code, name) candidates; an exact code match scores 100."""
    candidates = list(candidates)
    code_key = code.strip().upper()
    exact = [row for row in candidates if row[1].upper() == code_key]
    suggestions = [
        {"id": pk, "label": f"{name} ({cand_code})", "score": 100.0, "matched": ["code"]}
        for pk, cand_code, name in exact
    ]
    choices = {pk: f"{cand_code} {name}" for pk, cand_code, name in candidates}
    labels = {pk: f"{name} ({cand_code})" for pk, cand_code, name in candidates}
    query = f"{code} {text}".strip()
    for _choice, score, pk in process.extract(
        query, choices, scorer=fuzz.WRatio, processor=utils.default_process, limit=SUGGESTION_LIMIT
    ):
        if any(item["id"] == pk for item in suggestions):
            continue
        suggestions.append(
            {"id": pk, "label": labels[pk], "score": round(score, 1), "matched": ["name"]}
        )
    return suggestions[:SUGGESTION_LIMIT]


def code_suggestions(code: VendorCode) -> list[dict]:
    """Return the best catalogue matches for a farm code row, best first."""
    spec = spec_for(code)
    text = code.description or code.code
    if spec.kind == MappingKind.PRODUCT:
        # A farm that sends a code and a description is matched on both, because some codes
        # carry the variety or length ("RS-FREEDOM-50").
        query = text if text == code.code else f"{code.description} {code.code}"
        return _product_suggestions(query)
    if spec.kind == MappingKind.BOX_TYPE:
        rows = BoxType.objects.values_list("id", "code", "description")
    elif spec.kind == MappingKind.CARRIER:
        rows = Carrier.objects.filter(active=True).values_list("id", "code", "name")
    else:
        rows = Customer.objects.filter(active=True).values_list("id", "code", "name")
    return _name_suggestions(code.code, code.description, rows)


def code_suggestions_store(code: VendorCode) -> list[dict]:
    """Compute and save the suggestions of one code row; a failure leaves the old ones."""
    try:
        suggestions = code_suggestions(code)
    except Exception:  # noqa: BLE001 - a suggestion bug must never block an order's intake
        logger.exception("Suggesting matches failed for %s %s", type(code).__name__, code.pk)
        return code.suggestions
    type(code).objects.filter(pk=code.pk).update(suggestions=suggestions)
    code.suggestions = suggestions
    return suggestions
