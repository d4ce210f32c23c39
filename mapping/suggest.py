"""Suggest catalogue products for the product descriptions that farms send.

Farms name the same box content in many ways ("ROSE FREEDOM RED 50CM", "Rs55B Roses 55cm Blue",
"CARN FCY WHT"). :func:`parse_description` splits such a text into canonical parts (species,
variety, colour, grade, length), and :class:`SuggestionIndex` ranks catalogue products against
it. This module is plain Python on top of rapidfuzz, so it runs without Django.

Scoring: each part gets an agreement value between -2 (conflict) and 1 (match). A part that is
missing on one side counts as a partial match, so it costs a little, while a conflicting length,
colour or species costs a lot. The weighted mean of the agreements gives a structured score in
0-100, which is blended with the rapidfuzz ``token_sort_ratio`` of the canonical texts
(``STRUCTURE_WEIGHT`` and ``TEXT_WEIGHT``).

Auto-accept threshold: a first suggestion that scores at least ``AUTO_ACCEPT_SCORE`` may be
mapped without a person confirming it. ``bench/mapping_precision.py`` measures this on the 279
rows of ``bench/data/farm_descriptions.csv`` against the demo catalogue. Every first suggestion
there is right, so the labelled rows alone give 100 % precision at any score. The benchmark
therefore adds a leave-one-out set (the best wrong product for each row, standing for a product
missing from the catalogue). On both sets together precision first reaches 98 % at score 78
and is 100 % from 84 up. ``AUTO_ACCEPT_SCORE`` is 85 to keep a margin, and it accepts 90 % of
the labelled rows. Re-run the benchmark after changing the parser, the weights or the catalogue.

NOTE: the labelled rows were written together with this parser, so the measured precision is
optimistic for farms whose abbreviations the alias tables do not list yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

AUTO_ACCEPT_SCORE = 85.0

STRUCTURE_WEIGHT = 0.8
TEXT_WEIGHT = 0.2

# Part weights of the structured score.
PART_WEIGHTS = {"species": 25.0, "variety": 30.0, "colour": 20.0, "length": 15.0, "grade": 10.0}

# Agreement of two related values such as "pink" and "light pink", or "rose" and "spray rose".
FAMILY_AGREEMENT = 0.2

# A part with at least this agreement is listed in ``Suggestion.matched``. A variety agreement
# of 0.5 is a similarity of 85 out of 100.
MATCHED_AGREEMENT = 0.5

# Number of candidates taken from the text preselection before structured scoring. The
# preselection uses plain ``fuzz.ratio`` because both sides are canonical texts in the same part
# order. Over the 323 demo products it took 22 us per query against 240 us for
# ``token_set_ratio`` (rapidfuzz 3.14, 2-core AMD EPYC).
PRESELECT_LIMIT = 20

# Minimum ``fuzz.ratio`` for a run of words to count as a misspelt known variety ("FREEDON").
FUZZY_VARIETY_CUTOFF = 85.0
FUZZY_VARIETY_MIN_CHARS = 5

# Stem lengths are in centimetres. Numbers outside this range are stem counts or weights.
MIN_LENGTH_CM = 30
MAX_LENGTH_CM = 120

SPECIES_ALIASES: dict[str, str] = {
    "rose": "rose", "roses": "rose", "ros": "rose", "rs": "rose", "rosa": "rose",
    "rosas": "rose", "rse": "rose",
    "spray rose": "spray rose", "spray roses": "spray rose", "sp rose": "spray rose",
    "spr rose": "spray rose", "rose spray": "spray rose", "rosa spray": "spray rose",
    "roses spray": "spray rose", "spray": "spray rose", "spr": "spray rose",
    "sprays": "spray rose", "sr": "spray rose", "minirosa": "spray rose",
    "carnation": "carnation", "carnations": "carnation", "carn": "carnation",
    "car": "carnation", "crn": "carnation", "clavel": "carnation", "claveles": "carnation",
    "cn": "carnation",
    "mini carnation": "mini carnation", "mini carnations": "mini carnation",
    "mini carn": "mini carnation", "minicarn": "mini carnation",
    "minicarnation": "mini carnation", "mini clavel": "mini carnation",
    "miniclavel": "mini carnation", "clavel mini": "mini carnation",
    "carn mini": "mini carnation", "carnation mini": "mini carnation", "mc": "mini carnation",
    "hydrangea": "hydrangea", "hydrangeas": "hydrangea", "hyd": "hydrangea",
    "hydr": "hydrangea", "hydra": "hydrangea", "hortensia": "hydrangea",
    "hortensias": "hydrangea", "hort": "hydrangea", "hy": "hydrangea",
    "alstroemeria": "alstroemeria", "alstromeria": "alstroemeria", "als": "alstroemeria",
    "alst": "alstroemeria", "alstro": "alstroemeria", "astromelia": "alstroemeria",
    "astromelias": "alstroemeria", "alstroemerias": "alstroemeria",
    "gypsophila": "gypsophila", "gyp": "gypsophila", "gypso": "gypsophila",
    "gypsy": "gypsophila", "paniculata": "gypsophila", "panic": "gypsophila",
    "babys breath": "gypsophila", "gypsophilla": "gypsophila",
    "pompon": "pompon", "pompons": "pompon", "pom": "pompon", "poms": "pompon",
    "pompom": "pompon", "pompones": "pompon", "pomp": "pompon",
    "chrysanthemum": "chrysanthemum", "crisantemo": "chrysanthemum", "mum": "chrysanthemum",
    "mums": "chrysanthemum",
    "statice": "statice", "limonium": "statice", "stat": "statice",
    "aster": "aster", "asters": "aster",
}

# Species that are close relatives: confusing them costs less than a plain conflict.
SPECIES_FAMILIES = (
    frozenset({"rose", "spray rose"}),
    frozenset({"carnation", "mini carnation"}),
    frozenset({"pompon", "chrysanthemum"}),
)

COLOUR_ALIASES: dict[str, str] = {
    "red": "red", "rd": "red", "rojo": "red", "roja": "red", "rj": "red", "roj": "red",
    "white": "white", "wht": "white", "wh": "white", "wt": "white", "blanco": "white",
    "blanca": "white", "bco": "white", "bca": "white", "blc": "white", "wte": "white",
    "pink": "pink", "pk": "pink", "pnk": "pink", "rosado": "pink", "rosada": "pink",
    "hot pink": "hot pink", "hpk": "hot pink", "hot pk": "hot pink", "hotpink": "hot pink",
    "fucsia": "hot pink", "fuchsia": "hot pink", "fuxia": "hot pink", "cerise": "hot pink",
    "magenta": "hot pink", "hp": "hot pink",
    "light pink": "light pink", "lt pink": "light pink", "lt pk": "light pink",
    "lpk": "light pink", "pale pink": "light pink", "rosado claro": "light pink",
    "rosa claro": "light pink", "lp": "light pink", "lightpink": "light pink",
    "dark pink": "dark pink", "dk pink": "dark pink", "rosado oscuro": "dark pink",
    "yellow": "yellow", "ylw": "yellow", "yel": "yellow", "yl": "yellow",
    "amarillo": "yellow", "amarilla": "yellow", "amar": "yellow", "amr": "yellow",
    "yllw": "yellow",
    "orange": "orange", "org": "orange", "orng": "orange", "orn": "orange",
    "naranja": "orange", "anaranjado": "orange", "nar": "orange",
    "peach": "peach", "pch": "peach", "durazno": "peach", "melocoton": "peach",
    "salmon": "peach",
    "coral": "coral", "crl": "coral",
    "lavender": "lavender", "lav": "lavender", "lavanda": "lavender", "lila": "lavender",
    "lilac": "lavender", "lil": "lavender",
    "purple": "purple", "pur": "purple", "purp": "purple", "prp": "purple",
    "morado": "purple", "morada": "purple", "violeta": "purple", "violet": "purple",
    "green": "green", "grn": "green", "verde": "green", "vrd": "green", "gn": "green",
    "blue": "blue", "blu": "blue", "azul": "blue", "azl": "blue",
    "light blue": "light blue", "lt blue": "light blue", "azul claro": "light blue",
    "celeste": "light blue", "lt blu": "light blue",
    "cream": "cream", "crema": "cream", "ivory": "cream", "marfil": "cream", "crm": "cream",
    "burgundy": "burgundy", "burg": "burgundy", "vinotinto": "burgundy", "vino": "burgundy",
    "bordeaux": "burgundy", "bordo": "burgundy", "brg": "burgundy",
    "bicolor": "bicolor", "bicolour": "bicolor", "bicol": "bicolor", "bic": "bicolor",
    "bi": "bicolor", "bicolr": "bicolor",
    "beige": "beige", "champagne": "beige", "champ": "beige", "nude": "beige",
    "antique": "antique", "antiq": "antique", "ant": "antique", "antik": "antique",
    "vintage": "antique",
    "bronze": "bronze", "bronce": "bronze", "brz": "bronze",
    "assorted": "assorted", "asst": "assorted", "ast": "assorted", "assort": "assorted",
    "surtido": "assorted", "surtida": "assorted", "mix": "assorted", "mixed": "assorted",
    "mixto": "assorted", "surt": "assorted",
    "rainbow": "rainbow", "arcoiris": "rainbow",
    "pastel": "pastel", "pasteles": "pastel",
}

# Colours that are close: a farm calling a light pink variety "pink" is no real conflict.
COLOUR_FAMILIES = (
    frozenset({"pink", "hot pink", "light pink", "dark pink"}),
    frozenset({"red", "burgundy"}),
    frozenset({"white", "cream"}),
    frozenset({"orange", "peach", "coral"}),
    frozenset({"purple", "lavender"}),
    frozenset({"blue", "light blue"}),
    frozenset({"cream", "beige"}),
)

# One-letter colour codes, trusted only when glued to a number as in "Rs55B".
GLUED_COLOUR_LETTERS = {"r": "red", "w": "white", "b": "blue", "y": "yellow", "p": "pink",
                        "o": "orange", "g": "green", "l": "lavender"}

GRADE_ALIASES: dict[str, str] = {
    "fancy": "fancy", "fcy": "fancy", "fan": "fancy", "fncy": "fancy", "fy": "fancy",
    "select": "select", "sel": "select", "selecta": "select", "selecto": "select",
    "slct": "select", "sl": "select",
    "standard": "standard", "std": "standard", "estandar": "standard", "stnd": "standard",
    "stan": "standard",
    "premium": "premium", "prem": "premium", "prm": "premium", "premiun": "premium",
    "jumbo": "jumbo", "jmb": "jumbo", "jum": "jumbo", "jbo": "jumbo",
    "super select": "super select", "superselect": "super select",
}

# Words that carry no product information in farm descriptions.
NOISE_WORDS = frozenset({
    "cm", "cms", "ctm", "st", "stem", "stems", "tallo", "tallos", "tl", "bunch", "bunches",
    "bn", "bu", "ramo", "ramos", "x", "box", "caja", "fb", "hb", "qb", "eb", "g", "gr", "grs",
    "gram", "grams", "gramos", "de", "del", "la", "el", "y", "and", "color", "colors",
    "colores", "colour", "colours", "flower", "flowers", "flor", "flores", "var", "variety",
    "natural", "nat", "ea", "per", "bch", "cut", "fresh",
})

# Other spellings of catalogue varieties that fuzzy matching alone would miss.
VARIETY_SYNONYMS: dict[str, str] = {
    "margarita": "daisy", "boton": "button", "cojin": "cushion", "botón": "button",
    "h&m": "high magic", "hm": "high magic", "fc": "farm choice", "fch": "farm choice",
    "mstar": "million star", "ms": "million star", "xl": "xlence", "excellence": "xlence",
    "tenido": "tinted", "tinturado": "tinted", "painted": "tinted", "pintado": "tinted",
}

# Varieties recognised when no catalogue is given. The index adds its own catalogue varieties,
# which matters for names that contain a colour word ("Pink Floyd", "Playa Blanca").
DEFAULT_VARIETIES = (
    "Freedom", "Explorer", "Forever Young", "Hearts", "Red Eagle", "Cherry O", "Playa Blanca",
    "Mondial", "Tibet", "Polar Star", "Vendela", "Pink Floyd", "Topaz", "Tiffany", "Nina",
    "Pink Mondial", "Engagement", "Brighton", "Momentum", "Gold Strike", "High & Magic",
    "Sweetness", "Country Blues", "Ocean Song", "Shimmer", "Deep Purple", "Orange Crush",
    "Free Spirit", "Coral Reef", "Quicksand", "Jade", "Hermosa", "Akito", "Candlelight",
    "Hot Explorer", "Moody Blues", "Mother of Pearl", "Cool Water", "Majolica",
    "White Majolica", "Lydia", "Lovely Lydia", "Mirabel", "Babe", "Yellow Babe", "Rubicon",
    "Snowflake", "Million Star", "Xlence", "Cushion", "Daisy", "Button", "Farm Choice",
    "Tinted",
)

_GLUED_RE = re.compile(r"[a-z]+|\d+")
_WEIGHT_UNITS = frozenset({"g", "gr", "grs", "gram", "grams", "gramos"})
_LENGTH_UNITS = frozenset({"cm", "cms", "ctm"})
_STEM_UNITS = frozenset({"st", "stem", "stems", "tallos", "tl"})
_MAX_PHRASE = 3


@dataclass(frozen=True)
class ParsedDescription:
    """Canonical parts of a product description. Missing parts are empty strings or None."""

    species: str = ""
    variety: str = ""
    colour: str = ""
    grade: str = ""
    length_cm: int | None = None
    leftover: tuple[str, ...] = ()

    def canonical_text(self) -> str:
        """Return the parts joined in a fixed order, the text used for fuzzy comparison."""
        parts = [self.species, self.variety, self.colour, self.grade]
        if self.length_cm is not None:
            parts.append(str(self.length_cm))
        parts.extend(token for token in self.leftover if not token.isdigit())
        return " ".join(part for part in parts if part)


@dataclass(frozen=True)
class CatalogEntry:
    """A catalogue product as the suggester needs it."""

    id: int
    description: str
    category: str = ""
    variety: str = ""
    color: str = ""
    grade: str = ""


@dataclass(frozen=True)
class Suggestion:
    """A ranked candidate product. ``score`` is in 0-100, rounded to one decimal."""

    product_id: int
    score: float
    matched: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class _Token:
    text: str
    glued: bool  # split off a mixed letter-digit token such as "Rs55B"


def normalize_text(text: str) -> str:
    """Lower-case ``text``, replace punctuation with spaces and split letters from digits."""
    return " ".join(token.text for token in _tokenize(text))


def _tokenize(text: str) -> list[_Token]:
    cleaned = text.lower().replace("&", " ").replace("'", "")
    tokens: list[_Token] = []
    for word in re.split(r"[^0-9a-záéíóúñ]+", cleaned):
        if not word:
            continue
        word = word.translate(_ACCENTS)
        pieces = _GLUED_RE.findall(word)
        glued = len(pieces) > 1
        tokens.extend(_Token(piece, glued) for piece in pieces)
    return tokens


_ACCENTS = str.maketrans("áéíóúñ", "aeioun")


def _variety_key(variety: str) -> tuple[str, ...]:
    return tuple(token.text for token in _tokenize(variety))


class DescriptionParser:
    """Parser for farm descriptions with a fixed set of known variety names.

    Known varieties are matched before colours, so "PINK FLOYD" is a variety and not a colour.
    Unknown words that are left over become the variety text, which the index compares fuzzily.
    """

    def __init__(self, varieties: Iterable[str] = DEFAULT_VARIETIES) -> None:
        self._varieties: dict[tuple[str, ...], str] = {}
        for name in varieties:
            key = _variety_key(name)
            if key:
                canonical = " ".join(key)
                self._varieties[key] = canonical
                self._varieties.setdefault(("".join(key),), canonical)
        for alias, target in VARIETY_SYNONYMS.items():
            self._varieties.setdefault(_variety_key(alias), target)
        self._compact_varieties = {
            "".join(key): canonical for key, canonical in self._varieties.items()
            if len("".join(key)) >= FUZZY_VARIETY_MIN_CHARS
        }

    def parse(self, text: str) -> ParsedDescription:
        """Split ``text`` into species, variety, colour, grade, length and leftover tokens."""
        tokens = _tokenize(text)
        words = [token.text for token in tokens]
        used = [False] * len(tokens)

        variety = self._take_variety(words, used) or self._take_fuzzy_variety(words, used)
        species = self._take_species(words, used)
        length_cm, weight = _take_numbers(words, used)
        if species:
            # "rosa" after the species was found is the Spanish colour pink ("CLAVEL ROSA").
            words = [
                "rosado" if word == "rosa" and not is_used else word
                for word, is_used in zip(words, used, strict=True)
            ]
        colour = _take_phrase(words, used, COLOUR_ALIASES)
        grade = _take_phrase(words, used, GRADE_ALIASES)
        if weight and not grade:
            grade = f"{weight}g"
        if not colour:
            colour = _take_glued_colour(tokens, used)

        leftover = tuple(
            word for word, is_used in zip(words, used, strict=True)
            if not is_used and word not in NOISE_WORDS
        )
        if not variety:
            # Single letters stay in the variety ("P FLOYD") unless they were glued to a
            # number, as the colour letter in "RS50R" is.
            glued_letters = {token.text for token in tokens if token.glued and len(token.text) == 1}
            letters = [
                word for word in leftover
                if not word.isdigit() and not (len(word) == 1 and word in glued_letters)
            ]
            variety = " ".join(letters)
            variety = VARIETY_SYNONYMS.get(
                variety, VARIETY_SYNONYMS.get(variety.replace(" ", ""), variety)
            )
            leftover = tuple(word for word in leftover if word not in letters)
        return ParsedDescription(species, variety, colour, grade, length_cm, leftover)

    def _take_variety(self, words: list[str], used: list[bool]) -> str:
        for size in range(_MAX_PHRASE + 1, 0, -1):
            for start in range(len(words) - size + 1):
                if any(used[start:start + size]):
                    continue
                key = tuple(words[start:start + size])
                canonical = self._varieties.get(key)
                if canonical is None:
                    continue
                # A one-word "variety" that is also a species or colour word stays a species or
                # colour, so "ROSA" is never taken as a variety.
                if size == 1 and (key[0] in SPECIES_ALIASES or key[0] in COLOUR_ALIASES):
                    continue
                for index in range(start, start + size):
                    used[index] = True
                return canonical
        return ""

    def _take_fuzzy_variety(self, words: list[str], used: list[bool]) -> str:
        """Find a misspelt known variety ("FREEDON", "COUNTRY BLUE") among runs of 1-3 words.

        Runs made only of species, colour, grade or noise words are skipped, so "ROSA ROJO" never
        turns into a variety.
        """
        best: tuple[float, int, int, str] | None = None
        for size in range(_MAX_PHRASE, 0, -1):
            for start in range(len(words) - size + 1):
                run = words[start:start + size]
                if any(used[start:start + size]) or all(_is_known_word(word) for word in run):
                    continue
                compact = "".join(run)
                if len(compact) < FUZZY_VARIETY_MIN_CHARS or compact.isdigit():
                    continue
                found = process.extractOne(
                    compact, self._compact_varieties, scorer=fuzz.ratio,
                    score_cutoff=FUZZY_VARIETY_CUTOFF,
                )
                if found is not None and (best is None or found[1] > best[0]):
                    best = (found[1], start, size, found[0])
        if best is None:
            return ""
        _, start, size, canonical = best
        for index in range(start, start + size):
            used[index] = True
        return canonical

    def _take_species(self, words: list[str], used: list[bool]) -> str:
        species = ""
        mini = False
        index = 0
        while index < len(words):
            if used[index]:
                index += 1
                continue
            if words[index] == "mini":
                mini = True
                used[index] = True
                index += 1
                continue
            match = _phrase_at(words, used, index, SPECIES_ALIASES, _MAX_PHRASE)
            if match is None:
                index += 1
                continue
            size, found = match
            # A second "rosa" is a colour, which parse() reads as pink.
            if species and words[index] == "rosa" and size == 1:
                index += 1
                continue
            for offset in range(size):
                used[index + offset] = True
            species = _merge_species(species, found)
            index += size
        if mini and species == "carnation":
            species = "mini carnation"
        elif mini and species == "rose":
            species = "spray rose"
        return species


def _is_known_word(word: str) -> bool:
    return (
        word.isdigit() or word in SPECIES_ALIASES or word in COLOUR_ALIASES
        or word in GRADE_ALIASES or word in NOISE_WORDS
    )


def _merge_species(current: str, found: str) -> str:
    if not current:
        return found
    pair = {current, found}
    if pair == {"rose", "spray rose"}:
        return "spray rose"
    if pair == {"carnation", "mini carnation"}:
        return "mini carnation"
    if pair == {"pompon", "chrysanthemum"}:
        return "pompon"
    return current


def _phrase_at(
    words: list[str], used: list[bool], start: int, table: dict[str, str], max_size: int
) -> tuple[int, str] | None:
    for size in range(max_size, 0, -1):
        end = start + size
        if end > len(words) or any(used[start:end]):
            continue
        found = table.get(" ".join(words[start:end]))
        if found is not None:
            return size, found
    return None


def _take_phrase(words: list[str], used: list[bool], table: dict[str, str]) -> str:
    for start in range(len(words)):
        match = _phrase_at(words, used, start, table, _MAX_PHRASE)
        if match is None:
            continue
        size, found = match
        for offset in range(size):
            used[start + offset] = True
        return found
    return ""


def _take_glued_colour(tokens: list[_Token], used: list[bool]) -> str:
    for index, token in enumerate(tokens):
        if used[index] or not token.glued:
            continue
        colour = GLUED_COLOUR_LETTERS.get(token.text)
        if colour:
            used[index] = True
            return colour
    return ""


def _take_numbers(words: list[str], used: list[bool]) -> tuple[int | None, int | None]:
    """Take the stem length in cm and the bunch weight in grams from the number tokens.

    A number followed by "cm" wins. Otherwise the first number in the length range that is not
    a stem count ("25 ST", "X25") or a weight ("750 GR") is taken as the length.
    """
    length: int | None = None
    weight: int | None = None
    plain: list[int] = []
    for index, word in enumerate(words):
        if not word.isdigit() or used[index]:
            continue
        value = int(word)
        after = words[index + 1] if index + 1 < len(words) else ""
        before = words[index - 1] if index > 0 else ""
        if after in _WEIGHT_UNITS or value >= 250:
            weight = weight or value
            used[index] = True
            if after in _WEIGHT_UNITS:
                used[index + 1] = True
        elif after in _LENGTH_UNITS and MIN_LENGTH_CM <= value <= MAX_LENGTH_CM:
            if length is None:
                length = value
            used[index] = True
            used[index + 1] = True
        elif after in _STEM_UNITS or before == "x":
            used[index] = True
        elif MIN_LENGTH_CM <= value <= MAX_LENGTH_CM:
            plain.append(index)
    if length is None and plain:
        length = int(words[plain[0]])
        used[plain[0]] = True
    return length, weight


_DEFAULT_PARSER = DescriptionParser()


def parse_description(text: str) -> ParsedDescription:
    """Parse a farm or catalogue description with the built-in variety list."""
    return _DEFAULT_PARSER.parse(text)


@dataclass(frozen=True)
class _IndexedEntry:
    entry: CatalogEntry
    parsed: ParsedDescription
    compact_variety: str
    # True when every catalogue entry of this species and variety has the same colour, so a
    # query that names the variety but no colour still identifies the colour.
    colour_implied: bool


def _in_same_family(first: str, second: str, families: Sequence[frozenset[str]]) -> bool:
    return any(first in family and second in family for family in families)


class SuggestionIndex:
    """Catalogue products prepared for repeated :meth:`suggest` calls.

    Building the index parses every entry once. A query parses the text, preselects candidates
    by text similarity and by variety, and scores the candidates part by part.
    """

    def __init__(self, entries: Iterable[CatalogEntry]) -> None:
        entries = list(entries)
        varieties = set(DEFAULT_VARIETIES)
        varieties.update(entry.variety for entry in entries if entry.variety)
        self.parser = DescriptionParser(sorted(varieties))
        self._entries: list[_IndexedEntry] = []
        self._by_variety: dict[str, list[int]] = {}
        parsed_entries = [(entry, self._parse_entry(entry)) for entry in entries]
        colours: dict[tuple[str, str], set[str]] = {}
        for _, parsed in parsed_entries:
            colours.setdefault((parsed.species, parsed.variety), set()).add(parsed.colour)
        for entry, parsed in parsed_entries:
            position = len(self._entries)
            compact = parsed.variety.replace(" ", "")
            implied = bool(parsed.variety) and len(colours[(parsed.species, parsed.variety)]) == 1
            self._entries.append(_IndexedEntry(entry, parsed, compact, implied))
            self._by_variety.setdefault(parsed.variety, []).append(position)
        self._texts = [item.parsed.canonical_text() for item in self._entries]
        self._variety_names = [name for name in self._by_variety if name]

    def __len__(self) -> int:
        return len(self._entries)

    def _parse_entry(self, entry: CatalogEntry) -> ParsedDescription:
        """Parse the description and prefer the explicit catalogue fields where they are set."""
        parsed = self.parser.parse(entry.description)
        if entry.category:
            category = self.parser.parse(entry.category).species
            species = parsed.species or category
        else:
            species = parsed.species
        variety = " ".join(_variety_key(entry.variety)) if entry.variety else ""
        colour = COLOUR_ALIASES.get(entry.color.lower(), "") if entry.color else ""
        grade = entry.grade.lower() if entry.grade else ""
        grade = GRADE_ALIASES.get(grade, grade)
        if grade.endswith("cm") and grade[:-2].isdigit():
            grade = ""  # Roses carry their stem length in the grade field ("50cm").
        return ParsedDescription(
            species=species,
            variety=variety,
            colour=colour or parsed.colour,
            grade=grade or parsed.grade,
            length_cm=parsed.length_cm,
            # Words such as "tinted" stay in the canonical text, so a query without them scores
            # the plain product higher than the tinted one.
            leftover=parsed.leftover,
        )

    def suggest(self, text: str, limit: int = 3) -> list[Suggestion]:
        """Return up to ``limit`` products for ``text``, best first.

        Empty or unparseable text returns an empty list. Any other text returns the best
        candidates even when their scores are low, so callers should compare the score with
        ``AUTO_ACCEPT_SCORE`` before trusting the first one.
        """
        if limit <= 0 or not self._entries:
            return []
        query = self.parser.parse(text)
        query_text = query.canonical_text()
        if not query_text:
            return []

        text_scores: dict[int, float] = {
            position: score
            for _, score, position in process.extract(
                query_text, self._texts, scorer=fuzz.ratio, limit=PRESELECT_LIMIT
            )
        }
        for position in self._variety_candidates(query.variety):
            text_scores.setdefault(position, 0.0)

        scored: list[tuple[float, int, tuple[str, ...]]] = []
        for position in text_scores:
            text_score = fuzz.token_sort_ratio(query_text, self._texts[position])
            structured, matched = self._score_parts(query, self._entries[position])
            total = STRUCTURE_WEIGHT * structured + TEXT_WEIGHT * text_score
            scored.append((total, position, matched))
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [
            Suggestion(self._entries[position].entry.id, round(total, 1), matched)
            for total, position, matched in scored[:limit]
        ]

    def _variety_candidates(self, variety: str) -> list[int]:
        if not variety:
            return []
        positions = list(self._by_variety.get(variety, ()))
        if positions:
            return positions
        for name, _score, _ in process.extract(
            variety, self._variety_names, scorer=fuzz.ratio, limit=3, score_cutoff=60
        ):
            positions.extend(self._by_variety[name])
        return positions

    def _score_parts(
        self, query: ParsedDescription, item: _IndexedEntry
    ) -> tuple[float, tuple[str, ...]]:
        """Return the structured score in 0-100 and the names of the parts that agree.

        Parts that neither side has (no variety on a carnation, no length on a hydrangea) are
        left out of the weighted mean instead of counting as agreement.
        """
        entry = item.parsed
        agreements = {
            "species": _agree_categorical(
                query.species, entry.species, SPECIES_FAMILIES, conflict=-1.5, missing=0.4
            ),
            "variety": _agree_variety(query.variety, item),
            "colour": _agree_categorical(
                query.colour,
                entry.colour,
                COLOUR_FAMILIES,
                conflict=-1.75,
                missing=0.8 if item.colour_implied else 0.1,
            ),
            "grade": _agree_categorical(query.grade, entry.grade, (), conflict=-1.5, missing=0.5),
            "length": _agree_length(query.length_cm, entry.length_cm),
        }
        in_query = {
            "species": bool(query.species),
            "variety": bool(query.variety),
            "colour": bool(query.colour),
            "grade": bool(query.grade),
            "length": query.length_cm is not None,
        }
        weighted = 0.0
        total_weight = 0.0
        matched: list[str] = []
        for part, agreement in agreements.items():
            if agreement is None:
                continue
            weight = PART_WEIGHTS[part]
            weighted += weight * agreement
            total_weight += weight
            if in_query[part] and agreement >= MATCHED_AGREEMENT:
                matched.append(part)
        if total_weight == 0.0:
            return 0.0, ()
        structured = max(0.0, min(1.0, weighted / total_weight)) * 100.0
        return structured, tuple(matched)


def _agree_categorical(
    query: str,
    entry: str,
    families: Sequence[frozenset[str]],
    conflict: float,
    missing: float,
) -> float | None:
    if not query and not entry:
        return None
    if not query or not entry:
        return missing
    if query == entry:
        return 1.0
    if _in_same_family(query, entry, families):
        return FAMILY_AGREEMENT
    return conflict


def _agree_length(query: int | None, entry: int | None) -> float | None:
    # NOTE: a length between two catalogue lengths (55 cm) scores both neighbours alike, so
    # their order follows the catalogue order and a person has to pick.
    if query is None and entry is None:
        return None
    if query is None or entry is None:
        # A missing length leaves every length of the variety equally likely, so it costs
        # enough to keep "ROSE FREEDOM RED" below the auto-accept score.
        return -0.5
    difference = abs(query - entry)
    if difference == 0:
        return 1.0
    if difference <= 5:
        return 0.3
    return -2.0


def _is_abbreviation(query: str, entry: str) -> bool:
    """Return True when each word of ``query`` starts the matching word of ``entry``.

    This accepts "p floyd" for "pink floyd" and "m star" for "million star".
    """
    query_words = query.split()
    entry_words = entry.split()
    if len(query_words) != len(entry_words) or len(query_words) < 2:
        return False
    return all(
        entry_word.startswith(query_word)
        for query_word, entry_word in zip(query_words, entry_words, strict=True)
    )


def _agree_variety(query: str, item: _IndexedEntry) -> float | None:
    entry = item.parsed.variety
    if not query and not entry:
        return None
    if not query:
        return 0.4
    if not entry:
        return 0.2
    if query == entry:
        return 1.0
    compact = query.replace(" ", "")
    # token_sort_ratio, not token_set_ratio: "explorer" must not fully match "hot explorer".
    similarity = max(fuzz.ratio(compact, item.compact_variety), fuzz.token_sort_ratio(query, entry))
    # Farms shorten long names ("VEND", "P.FLOYD"). A prefix of at least three letters, or a
    # prefix of every word, is a strong hint even though the edit distance is large.
    if len(compact) >= 3 and item.compact_variety.startswith(compact):
        similarity = max(similarity, 90.0)
    elif _is_abbreviation(query, entry):
        similarity = max(similarity, 90.0)
    # Map similarity 70 to agreement 0 and 100 to 1, so a one-letter typo in a seven-letter
    # name (similarity about 86) keeps half the weight and "explorer" against "hot explorer"
    # (84) keeps less than that.
    return max(-1.0, min(1.0, (similarity - 70.0) / 30.0))
