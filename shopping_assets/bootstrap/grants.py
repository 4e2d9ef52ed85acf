"""The grants in bootstrap's plan, as data: which role holds which privilege on what.

Bootstrap's GRANT statements come from `sql/bootstrap/`, in three shapes: a privilege
on one object, on all or future objects of a kind in a schema, and a role granted to
a role or user. Anything else is an error here, so a new kind of grant cannot slip
past the audit unread.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

NAME = r"[A-Z_][A-Z0-9_]*"
KINDS = ("TABLES", "VIEWS", "STAGES", "FILE FORMATS")
OBJECT_GRANT = re.compile(
    rf"GRANT (?P<privileges>[A-Z, ]+?) ON (?P<kind>(?:(?:ALL|FUTURE) (?:{'|'.join(KINDS)}) IN SCHEMA)"
    rf"|DATABASE|SCHEMA|WAREHOUSE|INTEGRATION) (?P<name>{NAME}(?:\.{NAME})?) TO ROLE (?P<role>{NAME})"
)
ROLE_GRANT = re.compile(rf"GRANT ROLE (?P<granted>{NAME}) TO (?P<kind>ROLE|USER) (?P<grantee>{NAME})")


class GrantError(ValueError):
    """A GRANT statement of a shape this module does not read."""


@dataclass(frozen=True)
class ObjectGrant:
    privilege: str  # SELECT, USAGE, CREATE VIEW, ...
    on: str  # DATABASE, SCHEMA, WAREHOUSE, INTEGRATION, or e.g. "FUTURE TABLES IN SCHEMA"
    name: str  # the object, or the schema for ALL/FUTURE grants
    role: str


@dataclass(frozen=True)
class RoleGrant:
    granted: str
    to: str  # ROLE or USER
    grantee: str


def parse(statements: Iterable[str]) -> tuple[set[ObjectGrant], set[RoleGrant]]:
    """Every GRANT among `statements`; other statements are skipped."""
    objects, roles = set(), set()
    for statement in statements:
        flat = " ".join(statement.split())
        if not flat.startswith("GRANT"):
            continue
        if match := ROLE_GRANT.fullmatch(flat):
            roles.add(RoleGrant(match["granted"], match["kind"], match["grantee"]))
        elif match := OBJECT_GRANT.fullmatch(flat):
            for privilege in match["privileges"].split(","):
                objects.add(ObjectGrant(privilege.strip(), match["kind"], match["name"], match["role"]))
        else:
            raise GrantError(f"a GRANT the audit does not understand: {flat}")
    return objects, roles


def roles_held(role: str, roles: set[RoleGrant]) -> set[str]:
    """`role` and every role granted to it, directly or through others."""
    held, frontier = {role}, [role]
    while frontier:
        current = frontier.pop()
        for grant in roles:
            if grant.to == "ROLE" and grant.grantee == current and grant.granted not in held:
                held.add(grant.granted)
                frontier.append(grant.granted)
    return held
