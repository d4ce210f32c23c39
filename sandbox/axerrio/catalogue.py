"""The sandbox farm's product catalogue, in the farm's own codes and descriptions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FarmProduct:
    """A product as the farm's ERP names and packs it.

    ``cost`` is per stem when ``unit_type`` is "Stem" and per bunch when it is "Bunch".
    ``bunches_per_half_box`` is the packing of a half box (HB, 0.5 full-box equivalent).
    """

    code: str
    description: str
    unit_type: str
    stems_per_bunch: int
    bunches_per_half_box: int
    cost: float
    unknown_to_importer: bool = False

    def bunches_per_box(self, fbe: float) -> int:
        """Return the bunches that fit in a box of the given full-box equivalent."""
        return max(1, round(self.bunches_per_half_box * fbe / 0.5))


FARM_PRODUCTS: tuple[FarmProduct, ...] = (
    FarmProduct("FR50", "ROSE FREEDOM RED 50CM", "Stem", 25, 10, 0.32),
    FarmProduct("FR60", "ROSE FREEDOM RED 60CM", "Stem", 25, 10, 0.38),
    FarmProduct("FR70", "ROSE FREEDOM RED 70CM", "Stem", 25, 8, 0.46),
    FarmProduct("VEN60", "ROSE VENDELA WHITE 60CM", "Stem", 25, 10, 0.36),
    FarmProduct("EXP50", "ROSE EXPLORER RED 50CM", "Stem", 25, 10, 0.30),
    FarmProduct("MON60", "ROSE MONDIAL WHITE 60CM", "Stem", 25, 10, 0.40),
    FarmProduct("PLY50", "ROSE PINK FLOYD 50CM", "Stem", 25, 10, 0.34),
    FarmProduct("SPMIR50", "SPRAY ROSE MIRABEL 50CM", "Bunch", 10, 12, 3.10),
    FarmProduct("SPLYD50", "SPRAY ROSE LOVELY LYDIA 50CM", "Bunch", 10, 12, 3.25),
    FarmProduct("CARSELW", "CARNATION SELECT WHITE", "Stem", 25, 16, 0.14),
    FarmProduct("HYDWHSEL", "HYDRANGEA WHITE SELECT", "Stem", 1, 15, 0.95),
    FarmProduct(
        "SUNGL60",
        "ROSE NEW VARIETY 'SUNSET GLOW' 60CM",
        "Stem",
        25,
        10,
        0.55,
        unknown_to_importer=True,
    ),
)

# Products the importer has already mapped to its own catalogue.
KNOWN_PRODUCTS: tuple[FarmProduct, ...] = tuple(
    product for product in FARM_PRODUCTS if not product.unknown_to_importer
)

# The new variety used to demonstrate product mapping on the importer's side.
UNKNOWN_PRODUCT: FarmProduct = next(
    product for product in FARM_PRODUCTS if product.unknown_to_importer
)
