"""Fast, deterministic generator of the retail inputs (customers, products, daily transactions).

Replaces the starter's pure-Python generator (about 40,000 transactions/s) with a
vectorised numpy one. It also fixes the starter's crash, ``KeyError: 'bws'``:
the starter's category weights named ``bws`` (beers, wines, spirits) but no
product had that category; the catalogue now has real bws products (P61..P66)
and every weighted category is checked to have products at import time.

Output layout under an output folder::

    customers.csv                               customer_id,loyalty_score (CRLF)
    products.csv                                product_id,product_description,product_category
    transactions/d=YYYY-MM-DD/transactions.json JSON Lines, one file per day (empty if no sales)
    faults/YYYY-MM.json, faults_manifest.json   only when faults are injected
    reference/d=YYYY-MM-01/customers.csv, products.csv  only with reference history

Same arguments give byte-identical files; each day is generated from its own
seeded stream, so any month or day comes out the same however a range is cut.
See README.md in this folder.
"""

from .catalogue import CATEGORIES, CATEGORY_WEIGHTS, PRODUCTS
from .config import GeneratorConfig
from .dates import months_between
from .faults import FAULT_KINDS, load_fault_manifest
from .history import snapshot_dir, write_reference_history
from .reference import write_reference
from .writer import day_file, generate, write_month

__all__ = [
    "CATEGORIES",
    "CATEGORY_WEIGHTS",
    "FAULT_KINDS",
    "PRODUCTS",
    "GeneratorConfig",
    "day_file",
    "generate",
    "load_fault_manifest",
    "months_between",
    "snapshot_dir",
    "write_month",
    "write_reference",
    "write_reference_history",
]
