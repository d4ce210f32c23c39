"""Tests for the mapping suggester and the demo catalogue fixture. No database is needed."""

from __future__ import annotations

import csv
import json
import re
import time
from pathlib import Path

import pytest

from mapping.suggest import (
    AUTO_ACCEPT_SCORE,
    CatalogEntry,
    ParsedDescription,
    Suggestion,
    SuggestionIndex,
    parse_description,
)

ROOT = Path(__file__).resolve().parents[2]
CATALOG_PATH = ROOT / "catalog" / "fixtures" / "demo_catalog.json"
LABELS_PATH = ROOT / "bench" / "data" / "farm_descriptions.csv"


@pytest.fixture(scope="module")
def catalog() -> dict:
    return json.loads(CATALOG_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def index(catalog: dict) -> SuggestionIndex:
    return SuggestionIndex(
        CatalogEntry(
            id=product["id"],
            description=product["description"],
            category=product["category"],
            variety=product["variety"],
            color=product["color"],
            grade=product["grade"],
        )
        for product in catalog["products"]
    )


@pytest.fixture(scope="module")
def id_by_legacy(catalog: dict) -> dict[str, int]:
    return {product["legacyCode"]: product["id"] for product in catalog["products"]}


# Parsing


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("ROSE FREEDOM RED 50CM", 50),
        ("ROSE FREEDOM RED 50 cm", 50),
        ("ROS VENDELA 60", 60),
        ("Rs55B Roses 55cm Blue", 55),
        ("ROSA FREEDOM ROJO 70 CMS X25", 70),
        ("ROSE EXPLORER 25 ST 80", 80),
        ("CARN FCY WHT", None),
    ],
)
def test_parse_length(text: str, length: int | None) -> None:
    assert parse_description(text).length_cm == length


def test_parse_glued_code() -> None:
    parsed = parse_description("Rs55B Roses 55cm Blue")
    assert parsed.species == "rose"
    assert parsed.colour == "blue"
    assert parsed.length_cm == 55


def test_parse_glued_colour_letter() -> None:
    parsed = parse_description("RS60W MONDIAL")
    assert parsed.colour == "white"
    assert parsed.variety == "mondial"


@pytest.mark.parametrize(
    ("text", "species"),
    [
        ("ROS FREEDOM 50", "rose"),
        ("RS EXPLORER 60", "rose"),
        ("ROSA VENDELA 50", "rose"),
        ("ROSES MONDIAL 70", "rose"),
        ("SPR MAJOLICA 50", "spray rose"),
        ("SPRAY ROSE LYDIA 40", "spray rose"),
        ("CARN FCY WHT", "carnation"),
        ("CLAVEL FANCY ROJO", "carnation"),
        ("CAR SEL RED", "carnation"),
        ("MINI CARN SEL RED", "mini carnation"),
        ("MINI CLAVEL NARANJA", "mini carnation"),
        ("HYD SEL BLUE", "hydrangea"),
        ("HYDR PREM WHT", "hydrangea"),
        ("HORTENSIA BLANCA", "hydrangea"),
        ("ALS SEL YLW", "alstroemeria"),
        ("ALSTRO FANCY PINK", "alstroemeria"),
        ("GYP XLENCE 80CM 750GR", "gypsophila"),
        ("GYPSO MILLION STAR", "gypsophila"),
        ("PANICULATA 80 1000G", "gypsophila"),
        ("POM CUSH WHT", "pompon"),
        ("POMPON DAISY YELLOW", "pompon"),
    ],
)
def test_parse_species_abbreviation(text: str, species: str) -> None:
    assert parse_description(text).species == species


@pytest.mark.parametrize(
    ("text", "colour"),
    [
        ("ROSA ROJO 50", "red"),
        ("CLAVEL BLANCO", "white"),
        ("HORTENSIA BLANCA", "white"),
        ("CLAVEL ROSADO", "pink"),
        ("CLAVEL ROSA FANCY", "pink"),
        ("ALSTRO AMARILLO", "yellow"),
        ("MINI CLAVEL NARANJA", "orange"),
        ("ALSTRO LILA", "lavender"),
        ("CLAVEL MORADO", "purple"),
        ("HORTENSIA VERDE", "green"),
        ("HORTENSIA AZUL CLARO", "light blue"),
        ("CLAVEL FUCSIA", "hot pink"),
        ("CLAVEL VINOTINTO", "burgundy"),
        ("ROSA SURTIDO 50", "assorted"),
        ("CARN FCY WHT", "white"),
        ("CARN FCY RD", "red"),
        ("ALS SEL YLW", "yellow"),
        ("CARN SEL PK", "pink"),
    ],
)
def test_parse_colour(text: str, colour: str) -> None:
    assert parse_description(text).colour == colour


@pytest.mark.parametrize(
    ("text", "grade"),
    [
        ("CARN FCY WHT", "fancy"),
        ("CLAVEL FANCY ROJO", "fancy"),
        ("CARN SEL RED", "select"),
        ("HORTENSIA SELECTA AZUL", "select"),
        ("CARN STD RED", "standard"),
        ("CLAVEL ESTANDAR BLANCO", "standard"),
        ("HYD PREM WHT", "premium"),
        ("HYD JMB BLUE", "jumbo"),
        ("GYP XLENCE 80CM 750GR", "750g"),
    ],
)
def test_parse_grade(text: str, grade: str) -> None:
    assert parse_description(text).grade == grade


def test_parse_variety_with_colour_word() -> None:
    parsed = parse_description("ROSA PINK FLOYD 70")
    assert parsed.variety == "pink floyd"
    assert parsed.colour == ""


def test_parse_misspelt_variety() -> None:
    assert parse_description("ROSE FREEDON RED 50").variety == "freedom"


def test_parse_returns_frozen_dataclass() -> None:
    parsed = parse_description("ROSE FREEDOM RED 50CM")
    assert isinstance(parsed, ParsedDescription)
    with pytest.raises(AttributeError):
        parsed.species = "carnation"  # type: ignore[misc]


@pytest.mark.parametrize("text", ["", "   ", "---", "???", "12345", "\u00e9\u00e8\u00ea"])
def test_parse_empty_or_garbage(text: str) -> None:
    parsed = parse_description(text)
    assert parsed.species == ""
    assert parsed.colour == ""


# Ranking


@pytest.mark.parametrize(
    ("text", "legacy_code"),
    [
        ("ROSE FREEDOM RED 50CM", "RS-FREE-RD-50"),
        ("ROSA FREEDON ROJA 50", "RS-FREE-RD-50"),
        ("ROS VENDELA 60", "RS-VEND-CR-60"),
        ("CARN FCY WHT", "CN-FCY-WH"),
        ("HYD SEL BLUE", "HY-SEL-BL"),
        ("HYD SEL LT BLUE", "HY-SEL-LB"),
        ("ROSES EXPLORER 70CM", "RS-EXPL-RD-70"),
        ("ROSE HOT EXPLORER 70CM", "RS-HEXP-HP-70"),
        ("ROS P.FLOYD 60", "RS-PFLO-HP-60"),
        ("SPR MAJOLICA 50", "SR-MAJO-OR-50"),
        ("SPR WHT MAJOLICA 60", "SR-WMAJ-WH-60"),
        ("CLAVEL ROSA FANCY", "CN-FCY-PK"),
        ("MINI CARN SEL RED", "MC-SEL-RD"),
        ("GYPSO XLENCE 80CM 750GR", "GY-XLEN-WH-80-750"),
        ("POMPON MARGARITA AMARILLO", "PO-DAIS-YL"),
        ("ROSA COUNTRY BLUE LILA 60", "RS-CBLU-LV-60"),
    ],
)
def test_suggest_hard_cases_first(
    index: SuggestionIndex, id_by_legacy: dict[str, int], text: str, legacy_code: str
) -> None:
    suggestions = index.suggest(text)
    assert suggestions, text
    assert suggestions[0].product_id == id_by_legacy[legacy_code]


def test_suggest_conflicting_length_ranked_lower(
    index: SuggestionIndex, id_by_legacy: dict[str, int]
) -> None:
    suggestions = index.suggest("ROSE FREEDOM RED 60CM", limit=5)
    scores = {suggestion.product_id: suggestion.score for suggestion in suggestions}
    right = id_by_legacy["RS-FREE-RD-60"]
    wrong = id_by_legacy["RS-FREE-RD-50"]
    assert suggestions[0].product_id == right
    assert scores.get(wrong, 0.0) < scores[right] - 15


def test_suggest_conflicting_colour_ranked_lower(
    index: SuggestionIndex, id_by_legacy: dict[str, int]
) -> None:
    suggestions = index.suggest("CARN FCY RED", limit=5)
    assert suggestions[0].product_id == id_by_legacy["CN-FCY-RD"]
    assert suggestions[0].score - suggestions[1].score > 15


def test_suggest_matched_parts(index: SuggestionIndex) -> None:
    first = index.suggest("ROSE FREEDOM RED 50CM")[0]
    assert first.matched == ("species", "variety", "colour", "length")


def test_suggest_matched_skips_missing_parts(index: SuggestionIndex) -> None:
    first = index.suggest("ROS VENDELA 60")[0]
    assert first.matched == ("species", "variety", "length")


def test_suggest_missing_length_not_accepted(index: SuggestionIndex) -> None:
    suggestions = index.suggest("ROSE FREEDOM RED")
    assert len(suggestions) == 3
    assert suggestions[0].score < AUTO_ACCEPT_SCORE


def test_suggest_score_range_and_rounding(index: SuggestionIndex) -> None:
    for suggestion in index.suggest("ROSE FREEDOM RED 50CM", limit=10):
        assert isinstance(suggestion, Suggestion)
        assert 0.0 <= suggestion.score <= 100.0
        assert suggestion.score == round(suggestion.score, 1)


def test_suggest_exact_description_is_accepted(index: SuggestionIndex) -> None:
    assert index.suggest("Rose Freedom Red 50cm")[0].score >= AUTO_ACCEPT_SCORE


def test_suggest_limit(index: SuggestionIndex) -> None:
    assert len(index.suggest("ROSE FREEDOM", limit=5)) == 5
    assert index.suggest("ROSE FREEDOM", limit=0) == []


@pytest.mark.parametrize("text", ["", "   ", "---", "\u00bf?"])
def test_suggest_empty_input(index: SuggestionIndex, text: str) -> None:
    assert index.suggest(text) == []


@pytest.mark.parametrize("text", ["zzqx wvvk", "12345", "INVOICE 2291 TOTAL", "\u00e9\u00e8\u00ea"])
def test_suggest_garbage_scores_low(index: SuggestionIndex, text: str) -> None:
    for suggestion in index.suggest(text):
        assert suggestion.score < AUTO_ACCEPT_SCORE


def test_suggest_empty_index() -> None:
    assert SuggestionIndex([]).suggest("ROSE FREEDOM RED 50") == []


def test_suggest_speed(index: SuggestionIndex) -> None:
    queries = ["ROSE FREEDOM RED 50CM", "CARN FCY WHT", "HYD SEL BLUE", "ROS P.FLOYD 60"] * 250
    started = time.perf_counter()
    for text in queries:
        index.suggest(text)
    elapsed = time.perf_counter() - started
    # This took about 0.25 s on a 2-core AMD EPYC machine. The bound leaves room for slow CI
    # runners, so it catches only slowdowns of ten times or more.
    assert elapsed < 5.0


# Demo catalogue fixture

CUSTOMER_KEYS = {"id", "accountingCode", "name", "code", "active", "salesPerson",
                 "salesPersonId", "customerType", "updatedOn"}
VENDOR_KEYS = {"id", "name", "code", "portOrigin", "active", "timeZone", "axerrio"}
CARRIER_KEYS = {"id", "code", "name", "active", "street", "city", "state", "zipCode", "country",
                "phone", "kometNetworkName", "kometNetworkId", "type", "cutoffs"}
BOXTYPE_KEYS = {"id", "code", "kometNetworkName", "fbe", "kometNetworkId"}
PRODUCT_KEYS = {"id", "description", "active", "category", "divisionId", "divisionDescription",
                "variety", "color", "grade", "legacyCode", "tags"}


@pytest.mark.parametrize(
    ("section", "keys"),
    [
        ("customers", CUSTOMER_KEYS),
        ("vendors", VENDOR_KEYS),
        ("carriers", CARRIER_KEYS),
        ("boxtypes", BOXTYPE_KEYS),
        ("products", PRODUCT_KEYS),
    ],
)
def test_catalog_section_shape(catalog: dict, section: str, keys: set[str]) -> None:
    rows = catalog[section]
    assert rows, section
    for row in rows:
        assert keys <= set(row), (section, row.get("id"), keys - set(row))
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)), section


@pytest.mark.parametrize("section", ["customers", "vendors", "carriers"])
def test_catalog_codes_unique_and_short(catalog: dict, section: str) -> None:
    codes = [row["code"] for row in catalog[section]]
    assert len(codes) == len(set(codes))
    assert all(len(code) <= 10 for code in codes)


def test_catalog_customers(catalog: dict) -> None:
    for customer in catalog["customers"]:
        assert customer["customerType"] in {"Retailer", "Wholesaler", "Supermarket", "Florist"}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", customer["updatedOn"])
        assert customer["active"] in (0, 1)


def test_catalog_vendors(catalog: dict) -> None:
    vendors = catalog["vendors"]
    for vendor in vendors:
        assert vendor["portOrigin"] in {"BOG", "MDE", "UIO"}
        assert vendor["timeZone"] in {"America/Bogota", "America/Guayaquil"}
        assert isinstance(vendor["axerrio"], bool)
    assert sum(vendor["axerrio"] for vendor in vendors) >= 4
    rosa = [vendor for vendor in vendors if vendor["code"] == "ROSA"]
    assert len(rosa) == 1
    assert rosa[0]["axerrio"] is True


def test_catalog_carriers(catalog: dict) -> None:
    weekdays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
    types = [carrier["type"] for carrier in catalog["carriers"]]
    assert "inbound" in types
    assert "outbound" in types
    assert set(types) <= {"inbound", "outbound"}
    for carrier in catalog["carriers"]:
        assert set(carrier["cutoffs"]) <= weekdays
        for time_text in carrier["cutoffs"].values():
            assert re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", time_text)


def test_catalog_boxtypes(catalog: dict) -> None:
    fbe = {boxtype["code"]: boxtype["fbe"] for boxtype in catalog["boxtypes"]}
    assert fbe == {"FB": 1.0, "HB": 0.5, "QB": 0.25, "EB": 0.125}
    assert all(len(code) <= 3 for code in fbe)


def test_catalog_products(catalog: dict) -> None:
    products = catalog["products"]
    assert 300 <= len(products) <= 450
    legacy_codes = [product["legacyCode"] for product in products]
    assert len(legacy_codes) == len(set(legacy_codes))
    assert all(len(code) <= 20 for code in legacy_codes)
    assert {product["divisionDescription"] for product in products} == {"FreshCutFlowers"}


def test_labelled_rows_name_catalog_products(id_by_legacy: dict[str, int]) -> None:
    with LABELS_PATH.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 150
    unknown = [row["expected_legacy_code"] for row in rows
               if row["expected_legacy_code"] not in id_by_legacy]
    assert unknown == []
