"""The product catalogue and category weights.

The starter generator crashed with ``KeyError: 'bws'`` because its category
weights named ``bws`` (beers, wines, spirits) while no product had that
category. Here bws has real products (P61..P66) and ``check_catalogue`` makes
sure every weighted category has products, so that crash cannot come back.
"""

from __future__ import annotations

import numpy as np

# (product_id, description, category). Ids are fixed so they never depend on the
# seed or the customer count. Some descriptions carry an apostrophe, a comma or a
# double quote on purpose: real inputs need CSV quoting.
_ITEMS: tuple[tuple[str, str], ...] = (
    ("house", "washing up liquid"),
    ("house", "bin bags, 50 pack"),
    ("house", "kitchen roll"),
    ("house", "toilet roll 9 pack"),
    ("house", "laundry detergent"),
    ("house", "light bulbs"),
    ("house", "bleach"),
    ("house", "dishwasher tablets"),
    ("house", "sponges"),
    ("house", "air freshener"),
    ("house", "batteries AA"),
    ("house", "candles"),
    ("clothes", "men's trousers"),
    ("clothes", "women's jumper"),
    ("clothes", "children's socks"),
    ("clothes", "t-shirt"),
    ("clothes", "raincoat"),
    ("clothes", "women's scarf"),
    ("clothes", "men's shirt"),
    ("clothes", "pyjamas"),
    ("clothes", "gloves"),
    ("clothes", "baby grow"),
    ("clothes", "swimsuit"),
    ("clothes", "trainers"),
    ("fruit_veg", "bananas"),
    ("fruit_veg", "apples"),
    ("fruit_veg", "tomatoes, cherry"),
    ("fruit_veg", "carrots"),
    ("fruit_veg", "broccoli"),
    ("fruit_veg", "potatoes"),
    ("fruit_veg", "onions"),
    ("fruit_veg", "grapes"),
    ("fruit_veg", "strawberries"),
    ("fruit_veg", "lettuce"),
    ("fruit_veg", "peppers"),
    ("fruit_veg", "lemons"),
    ("sweets", "chocolate bar"),
    ("sweets", "jelly babies"),
    ("sweets", "toffee"),
    ("sweets", "mints"),
    ("sweets", "lollipops"),
    ("sweets", "fudge"),
    ("sweets", "chewing gum"),
    ("sweets", "liquorice"),
    ("sweets", "marshmallows"),
    ("sweets", "Baker's biscuits"),
    ("sweets", "sherbet"),
    ("sweets", "wine gums"),
    ("food", "bread"),
    ("food", "milk"),
    ("food", "eggs"),
    ("food", "cheddar cheese"),
    ("food", "pasta"),
    ("food", "rice"),
    ("food", "shepherd's pie"),
    ("food", '12" pizza'),
    ("food", "baked beans"),
    ("food", "chicken breast"),
    ("food", "cereal"),
    ("food", "butter"),
    ("bws", "lager, 4 x 440ml"),
    ("bws", "red wine"),
    ("bws", "white wine"),
    ("bws", "gin"),
    ("bws", "whisky"),
    ("bws", 'cider "dry"'),
)

_ID_WIDTH = max(2, len(str(len(_ITEMS))))

PRODUCTS: tuple[tuple[str, str, str], ...] = tuple(
    (f"P{i:0{_ID_WIDTH}d}", desc, cat) for i, (cat, desc) in enumerate(_ITEMS, start=1)
)

CATEGORIES: tuple[str, ...] = ("house", "clothes", "fruit_veg", "sweets", "food", "bws")

# Relative weight of a category among customers' favourites: everyday groceries
# dominate, bws is rarer.
CATEGORY_WEIGHTS: dict[str, float] = {
    "house": 12.0,
    "clothes": 10.0,
    "fruit_veg": 25.0,
    "sweets": 15.0,
    "food": 30.0,
    "bws": 8.0,
}

# Base price range per category, in the integer unit of the inputs (1..2000).
_PRICE_RANGES: dict[str, tuple[int, int]] = {
    "house": (80, 900),
    "clothes": (300, 2000),
    "fruit_veg": (20, 400),
    "sweets": (20, 300),
    "food": (40, 800),
    "bws": (150, 2000),
}

MIN_PRICE, MAX_PRICE = 1, 2000


def check_catalogue() -> None:
    """Fail fast if a weighted category has no products (the old KeyError: 'bws')."""
    present = {cat for _, _, cat in PRODUCTS}
    missing = [c for c in CATEGORY_WEIGHTS if c not in present]
    if missing or set(CATEGORY_WEIGHTS) != set(CATEGORIES):
        raise ValueError(f"categories without products: {missing}")


def category_index() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (product indices grouped by category, start per category, count per category).

    Lets a vectorised draw pick "a product of category c" as
    order[start[c] + floor(u * count[c])].
    """
    cats = np.array([CATEGORIES.index(cat) for _, _, cat in PRODUCTS])
    order = np.argsort(cats, kind="stable")
    count = np.bincount(cats, minlength=len(CATEGORIES))
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    return order, start, count


def base_prices(rng: np.random.Generator) -> np.ndarray:
    """One integer base price per product, within its category's range."""
    lo = np.array([_PRICE_RANGES[cat][0] for _, _, cat in PRODUCTS])
    hi = np.array([_PRICE_RANGES[cat][1] for _, _, cat in PRODUCTS])
    return rng.integers(lo, hi + 1)


check_catalogue()
