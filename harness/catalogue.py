"""The requirement catalogue (requirements.csv) and the traceability of scenarios to it."""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

CATALOGUE = Path(__file__).with_name("requirements.csv")
TAG = re.compile(r"^REQ-((?:SYS|WF|PAT|INS|AUTH|BAT|PROC|SET)-[0-9.]+)$")


@dataclass(frozen=True)
class Requirement:
    id: str
    section: str
    overview: str
    status: str  # "covered": a scenario must prove it; "planned": not yet
    statement: str


@functools.lru_cache(maxsize=4)
def load_catalogue(path: Path = CATALOGUE) -> dict[str, Requirement]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [Requirement(**row) for row in csv.DictReader(handle)]
    return {row.id: row for row in rows}


def requirement_ids(tags: set[str] | frozenset[str]) -> list[str]:
    """The requirement IDs among a scenario's tags (``REQ-PAT-04`` -> ``PAT-04``)."""
    return sorted(m.group(1) for tag in tags if (m := TAG.match(tag)))


def tags_in_features(directory: Path) -> dict[str, list[str]]:
    """Requirement ID -> the scenarios (``file: name``) that carry its tag, for every feature file."""
    from pytest_bdd.parser import FeatureParser

    found: dict[str, list[str]] = {}
    for path in sorted(directory.rglob("*.feature")):
        feature = FeatureParser(str(directory), str(path.relative_to(directory))).parse()
        for scenario in feature.scenarios.values():
            tags = scenario.tags | feature.tags | (scenario.rule.tags if scenario.rule else set())
            for examples in scenario.examples:
                tags |= examples.tags
            for rid in requirement_ids(tags):
                found.setdefault(rid, []).append(f"{path.name}: {scenario.name}")
    return found


def check_traceability(catalogue: dict[str, Requirement], tagged: dict[str, list[str]]) -> list[str]:
    """Problems that make a run fail: unknown IDs on scenarios, covered IDs with no scenario."""
    problems = [
        f"scenario {where!r} names {rid}, which is not in the requirement catalogue"
        for rid, places in sorted(tagged.items()) if rid not in catalogue
        for where in places
    ]
    problems += [
        f"{rid} is marked covered in the catalogue but no scenario is tagged @REQ-{rid}"
        for rid, req in catalogue.items() if req.status == "covered" and rid not in tagged
    ]
    return problems
