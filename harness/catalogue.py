"""The requirement catalogue (requirements.csv) and the traceability of scenarios to it."""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOGUE = Path(__file__).with_name("requirements.csv")
TAG = re.compile(r"^REQ-((?:SYS|WF|PAT|INS|AUTH|BAT|PROC|SET)-[0-9.]+)$")


BLACK_BOX = ("yes", "partly", "no")


@dataclass(frozen=True)
class Requirement:
    id: str
    section: str
    overview: str
    status: str  # "covered": a scenario must prove it; "planned": not yet
    statement: str
    # Can it be proved through the systems' own operations alone (the drivers of docs/contract.md),
    # with no mock-only capability? yes, partly or no; the note says what such a run cannot see.
    black_box: str = ""
    black_box_note: str = ""


@functools.lru_cache(maxsize=4)
def load_catalogue(path: Path = CATALOGUE) -> dict[str, Requirement]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [Requirement(**row) for row in csv.DictReader(handle)]
    return {row.id: row for row in rows}


def check_black_box(catalogue: dict[str, Requirement]) -> list[str]:
    """Rows whose black_box is not yes, partly or no, or that say partly or no without a note."""
    problems = [f"{rid}: black_box = {req.black_box!r}, expected one of {', '.join(BLACK_BOX)}"
                for rid, req in catalogue.items() if req.black_box not in BLACK_BOX]
    problems += [f"{rid}: black_box = {req.black_box} needs a black_box_note saying what a black-box run cannot see"
                 for rid, req in catalogue.items() if req.black_box in ("partly", "no") and not req.black_box_note.strip()]
    return problems


def requirement_ids(tags: set[str] | frozenset[str]) -> list[str]:
    """The requirement IDs among a scenario's tags (``REQ-PAT-04`` -> ``PAT-04``)."""
    return sorted(m.group(1) for tag in tags if (m := TAG.match(tag)))


@dataclass(frozen=True)
class TaggedScenario:
    """A scenario of a feature file, with the requirement IDs its tags (and its Examples') name."""

    feature: Path  # resolved
    name: str  # as written, placeholders and all
    requirements: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.feature.name}: {self.name}"


def scenarios_in_features(directory: Path) -> list[TaggedScenario]:
    """Every scenario of every feature file under ``directory`` that names a requirement."""
    from pytest_bdd.parser import FeatureParser

    found = []
    for path in sorted(directory.rglob("*.feature")):
        feature = FeatureParser(str(directory), str(path.relative_to(directory))).parse()
        for scenario in feature.scenarios.values():
            tags = scenario.tags | feature.tags | (scenario.rule.tags if scenario.rule else set())
            for examples in scenario.examples:
                tags |= examples.tags
            if ids := requirement_ids(tags):
                found.append(TaggedScenario(path.resolve(), scenario.name, tuple(ids)))
    return found


def feature_scenario(item: Any) -> tuple[str, str] | None:
    """(feature file, scenario name) of a pytest-bdd item, to tell which tagged scenarios a run left out."""
    from pytest_bdd.scenario import scenario_wrapper_template_registry as templates

    template = templates.get(getattr(item, "function", None))
    return (str(Path(template.feature.filename).resolve()), template.name) if template else None


def tags_in_features(directory: Path | list[TaggedScenario]) -> dict[str, list[str]]:
    """Requirement ID -> the scenarios (``file: name``) that carry its tag, for every feature file."""
    tagged = scenarios_in_features(directory) if isinstance(directory, Path) else directory
    found: dict[str, list[str]] = {}
    for scenario in tagged:
        for rid in scenario.requirements:
            found.setdefault(rid, []).append(scenario.label)
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
