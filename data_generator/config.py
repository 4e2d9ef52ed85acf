"""Generator settings shared by the library API, the CLI and the benchmark."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate; every output byte is a function of these fields and the dates.

    customers: number of customers C1..Cn.
    seed: non-negative integer; numpy's SeedSequence rejects negatives.
    faults: fraction of transaction lines replaced/inserted as bad lines (0 = clean).
    csv_bom: prefix both reference CSVs with a UTF-8 BOM (a file-level fault).
    """

    customers: int = 137
    seed: int = 42
    faults: float = 0.0
    csv_bom: bool = False

    def __post_init__(self) -> None:
        if self.customers < 1:
            raise ValueError(f"customers must be >= 1, got {self.customers}")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")
        if not 0.0 <= self.faults <= 1.0:
            raise ValueError(f"faults must be within [0, 1], got {self.faults}")
