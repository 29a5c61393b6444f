"""The scaffolding of the pytest plugin's tests: a small suite written into pytester's directory,
with its own ``features/`` (named by the ``kipu_features_dir`` ini option, so the traceability
check looks there and never at the project's feature files), step definitions, and plugins that
register a bare target (no systems, no capabilities) or a report writer."""

from __future__ import annotations

import re
import textwrap

import pytest

from kipu_harness.catalogue import load_catalogue

COVERED = sorted(rid for rid, req in load_catalogue().items() if req.status == "covered")
PLANNED = sorted(rid for rid, req in load_catalogue().items() if req.status == "planned")

STEPS = textwrap.dedent('''
    import pytest
    from pytest_bdd import given, parsers, scenarios, then

    scenarios("features/under_test.feature")


    @given("nothing in particular")
    def nothing():
        pass


    @given("the target of the run")
    def the_target(target):
        assert target is not None


    @then(parsers.parse("the scenario proves {rid}"))
    def proves(request, rid):
        ids = sorted(m.args[0] for m in request.node.iter_markers("requirement"))
        assert ids == [rid], ids


    @then(parsers.parse("the example proves {rid}"))
    def example_proves(request, rid):
        assert request.node.get_closest_marker("REQ-" + rid) is not None


    @then("nothing happens while the target settles")
    def settles(stays, target):
        calls = []
        stays(lambda: calls.append(1), what="nothing happens")
        assert stays.keywords["window"] == target.settle
        assert calls == [1], f"probed {len(calls)} times"
''')

BARE_PLUGIN = textwrap.dedent('''
    from kipu_harness import hookimpl
    from kipu_harness.target import Target


    class BarePlugin:
        @hookimpl
        def harness_register_targets(self, register):
            register("bare", self.build, description="no systems and no capabilities")

        @staticmethod
        def build(options):
            return Target(name="bare", crm=None, emr=None, rcm=None, capabilities=frozenset())


    plugin = BarePlugin()


    class ReportWriter:
        @hookimpl
        def harness_write_reports(self, result, directory):
            outcomes = {row.requirement.id: row.outcome for row in result.by_requirement()}
            (directory / "vendor-report.txt").write_text(f"PAT-04 {outcomes['PAT-04']}\\n")


    writer = ReportWriter()
''')

RUN = ("--strict-markers", "-p", "no:cacheprovider")


def coverage_feature(ids) -> str:
    """One trivial scenario per requirement ID: what the traceability check needs to see."""
    lines = ["Feature: Catalogue coverage", ""]
    for rid in ids:
        lines += [f"  @REQ-{rid}", f"  Scenario: covers {rid}", "    Given nothing in particular", ""]
    return "\n".join(lines)


def make_suite(pytester: pytest.Pytester, feature: str, *, covered=tuple(COVERED)) -> None:
    """features/under_test.feature (run) plus features/coverage.feature (only read for tags) for
    the IDs under_test does not tag: a tagged scenario that is never collected counts as not run."""
    features = pytester.path / "features"
    features.mkdir(exist_ok=True)
    covered = [rid for rid in covered if rid not in re.findall(r"@REQ-(\S+)", feature)]
    if covered:
        (features / "coverage.feature").write_text(coverage_feature(covered))
    (features / "under_test.feature").write_text(textwrap.dedent(feature))
    pytester.makeini("[pytest]\nkipu_features_dir = features\n")
    pytester.makepyfile(test_under_test=STEPS)


def output(result: pytest.RunResult) -> str:
    return "\n".join(result.outlines + result.errlines)
