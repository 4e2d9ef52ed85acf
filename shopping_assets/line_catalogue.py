"""Every kind of bad transaction line the pipeline knows, and the reason it is quarantined with.

One list for three readers: the data-quality tests load it through the real chain,
`shopping-pipeline doctor` loads it on the deployment's own Snowflake account (where
only an account can tell what Snowflake's parser accepts), and docs/data-quality.md
documents it. Dated for a file of 2024-05-01.
"""

from __future__ import annotations

import json

DAY = "2024-05-01"


def good(customer: str = "C1", basket=(("P01", 10),), when: str = "2024-05-01 10:00:00") -> str:
    """A valid line: `basket` is (product_id, price) pairs."""
    return json.dumps(
        {
            "customer_id": customer,
            "basket": [{"product_id": p, "price": n} for p, n in basket],
            "date_of_purchase": when,
        }
    )


def line(**fields) -> str:
    """A line like a good one with `fields` changed (a field given as ... is left out)."""
    base = {
        "customer_id": "C1",
        "basket": [{"product_id": "P01", "price": 10}],
        "date_of_purchase": "2024-05-01 09:00:00",
    }
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not ...})


_TRAILING_COMMA = (
    '{"customer_id": "C1", "basket": [{"product_id": "P01", "price": 10},], "date_of_purchase": "2024-05-01 09:00:00"}'
)

# (line, reason): one of each kind, in the order the rules are tried
CATALOGUE: tuple[tuple[str, str], ...] = (
    ('{"customer_id": "C1", "basket": [', "malformed_json"),
    # lenient JSON that Snowflake's parser (and some of it DuckDB's) would take: the rule is strict JSON
    (_TRAILING_COMMA, "malformed_json"),
    (line(basket=[{"product_id": "P01", "price": 10}]).replace("10", "NaN"), "malformed_json"),
    (line(member=True).replace("true", "TRUE"), "malformed_json"),
    ("{'customer_id': 'C1'}", "malformed_json"),
    ("[1, 2, 3]", "not_an_object"),
    (line(customer_id=...), "missing_customer_id"),
    (line(customer_id=7), "missing_customer_id"),
    (line(basket=...), "missing_basket"),
    (line(basket={"product_id": "P01"}), "basket_not_list"),
    (line(basket=[]), "empty_basket"),
    (line(basket=[{"price": 10}]), "missing_product_id"),
    (line(basket=["P01"]), "item_not_object"),
    (line(basket=[{"product_id": "P01"}]), "price_missing"),
    (line(basket=[{"product_id": "P01", "price": 0}]), "price_not_positive"),
    (line(basket=[{"product_id": "P01", "price": -5}]), "price_not_positive"),
    (line(basket=[{"product_id": "P01", "price": 12.5}]), "price_not_integer"),
    (line(basket=[{"product_id": "P01", "price": "12"}]), "price_not_integer"),
    (line(basket=[{"product_id": "P01", "price": 10**40}]), "price_not_integer"),  # more digits than a NUMBER holds
    (line(basket=[{"product_id": "P01", "price": 3}, {"product_id": "P02", "price": None}]), "price_missing"),
    (line(date_of_purchase=...), "date_missing"),
    (line(date_of_purchase="yesterday"), "date_unparseable"),
    (line(date_of_purchase="2024-02-30 10:00:00"), "date_unparseable"),
    (line(date_of_purchase="2024-09-14 10:00:00"), "date_out_of_window"),
    (line(date_of_purchase="2024-04-30 23:59:00"), "date_out_of_window"),
    ("", "empty_line"),
    ("   ", "empty_line"),  # nothing but spaces
)
