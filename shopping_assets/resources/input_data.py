"""The input folder, in the starter's layout: generated here, or a user's own files.

customers.csv
products.csv
transactions/d=YYYY-MM-DD/transactions.json
reference/d=YYYY-MM-DD/customers.csv, products.csv   optional: dated snapshots (history backfill)
"""

import re
from datetime import date
from pathlib import Path

from dagster import ConfigurableResource

from shopping_assets.errors import InputLayoutError

REFERENCE_FILES = ("customers.csv", "products.csv")
# Dated reference snapshots: each folder holds the reference files as they were on its day.
SNAPSHOT_FOLDER = "reference"
_DAY_FOLDER = re.compile(r"^d=(\d{4}-\d{2}-\d{2})$")
DAY_FILE = "transactions.json"


def _first_of(value: str) -> date:
    return date.fromisoformat(value[:7] + "-01")


class InputData(ConfigurableResource):
    """Where the input files are, and whether this pipeline generates them.

    With `generate` on, materialising an input asset writes its files with the
    data generator (deterministic: the same partition always gives the same
    bytes). With it off, the assets only check and describe the files present.
    """

    input_dir: str
    generate: bool = True
    customers: int = 137
    seed: int = 42
    faults: float = 0.0
    # Generation stops at this day (inclusive); empty means today.
    end_date: str = ""

    @property
    def root(self) -> Path:
        return Path(self.input_dir)

    def _config(self):
        from data_generator import GeneratorConfig

        return GeneratorConfig(customers=self.customers, seed=self.seed, faults=self.faults)

    def _end(self) -> date:
        return date.fromisoformat(self.end_date) if self.end_date else date.today()

    def reference_file(self, name: str) -> Path:
        """customers.csv or products.csv, (re)written first when generating."""
        if self.generate:
            from data_generator import write_reference

            write_reference(self.root, self._config())
        return self.existing_file(name)

    def existing_file(self, name: str) -> Path:
        path = self.root / name
        if not path.is_file():
            raise InputLayoutError(f"input file {path} is missing (expected the starter layout under {self.root})")
        return path

    def reference_snapshots(self, name: str) -> dict[date, Path]:
        """`reference/d=YYYY-MM-DD/<name>` by day: the file as it was on that day (a folder may hold
        either file or both); empty when the input folder has no reference/ folder."""
        folder = self.root / SNAPSHOT_FOLDER
        if not folder.is_dir():
            return {}
        found = {}
        for child in sorted(folder.iterdir()):
            match = _DAY_FOLDER.match(child.name)
            if not child.is_dir() or not match:
                raise InputLayoutError(f"{child} is not a dated snapshot folder named d=YYYY-MM-DD")
            try:
                day = date.fromisoformat(match.group(1))
            except ValueError:
                raise InputLayoutError(f"{child} names a day that does not exist") from None
            if (child / name).is_file():
                found[day] = child / name
        return found

    def month_files(self, month: str) -> dict[date, Path]:
        """The month's day files (month as YYYY-MM-DD, its first day), generating them if asked."""
        first = _first_of(month)
        if self.generate:
            from data_generator import write_month

            end = self._end()
            if first <= end:
                write_month(self.root, first, self._config(), end=end)
        return self.existing_month_files(month)

    def existing_month_files(self, month: str) -> dict[date, Path]:
        # only the month's folders: a run over a range lists each month once, not the whole history
        return self.day_files(f"d={_first_of(month):%Y-%m}-*")

    def day_files(self, pattern: str = "*") -> dict[date, Path]:
        """Every day file in the folder (or in its folders matching `pattern`), checked against the layout."""
        folder = self.root / "transactions"
        if not self.root.is_dir():
            raise InputLayoutError(f"input folder {self.root} does not exist")
        if not folder.is_dir():
            raise InputLayoutError(f"{folder} is missing: expected transactions/d=YYYY-MM-DD/{DAY_FILE}")
        found = {}
        for child in sorted(folder.glob(pattern)):
            match = _DAY_FOLDER.match(child.name)
            if not child.is_dir() or not match:
                raise InputLayoutError(f"{child} is not a day folder named d=YYYY-MM-DD")
            try:
                day = date.fromisoformat(match.group(1))
            except ValueError:
                raise InputLayoutError(f"{child} names a day that does not exist") from None
            path = child / DAY_FILE
            if not path.is_file():
                raise InputLayoutError(f"{path} is missing")
            found[day] = path
        return found

    def months(self) -> list[str]:
        """Partition keys (YYYY-MM-01) of the months that have day files."""
        return sorted({f"{day:%Y-%m}-01" for day in self.day_files()})

    def check_layout(self) -> None:
        for name in REFERENCE_FILES:
            if not (self.root / name).is_file():
                raise InputLayoutError(f"input file {self.root / name} is missing")
        if not self.day_files():
            raise InputLayoutError(f"{self.root / 'transactions'} holds no day folders")
