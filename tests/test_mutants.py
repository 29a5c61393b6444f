"""The suite tests itself: break one rule, and the scenarios of that rule must fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
REFERENCE = "kipu_harness.plugins.integration"
RCM_TO_EMR = "kipu_harness.plugins.rcm_to_emr"

# mutant -> (pytest options, requirement IDs whose scenarios must fail)
MUTANTS = {
    "no re-send on a new diagnosis": (
        ["--kipu-block", REFERENCE, "--kipu-plugin", "mutants:NoResendOnNewDiagnosis"], {"PAT-03", "PAT-15"}),
    "admission without the required fields": (
        ["--kipu-block", REFERENCE, "--kipu-plugin", "mutants:SkipsAdmissionCheck"], {"WF-2.2"}),
    "prospect link lost": (
        ["--kipu-block", REFERENCE, "--kipu-plugin", "mutants:ForgetsTheProspect"], {"SYS-05", "WF-2.5"}),
    "all 19 diagnoses sent": (["--kipu-config", "{tmp}/cap.toml"], {"PAT-16"}),
    "authorization status not mapped": (
        ["--kipu-block", RCM_TO_EMR, "--kipu-plugin", "mutants:StatusNotMapped"], {"AUTH-07"}),
    "charge matching without the exact service name link": (
        ["--kipu-block", "kipu_harness.plugins.charge_matching:by_service_name"], {"BAT-06"}),
    "secondary and tertiary insurance dropped": (
        ["--kipu-block", RCM_TO_EMR, "--kipu-plugin", "mutants:OnlyPrimarySent"], {"WF-3.2", "PROC-02"}),
}


def test_every_mutant_is_caught(tmp_path):
    (tmp_path / "cap.toml").write_text("[integration]\nmax_diagnoses = 50\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])}
    runs = {}
    for n, (name, (options, _)) in enumerate(MUTANTS.items()):
        reports = tmp_path / f"mutant{n}"
        reports.mkdir()
        args = [sys.executable, "-m", "pytest", str(SCENARIOS), "-q", "-p", "no:cacheprovider", "--strict-markers",
                f"--rootdir={SCENARIOS}", f"--kipu-reports={reports}"]
        args += [o.format(tmp=tmp_path) for o in options]
        # Output to a file, not a pipe: a full pipe would stall the run. Two at a time: two cores.
        with open(reports / "output.txt", "w") as out:
            runs[name] = (subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env), reports)
        if len(runs) % 2 == 0:
            for process, _ in list(runs.values())[-2:]:
                process.wait(timeout=600)
    escaped = {}
    for name, (process, reports) in runs.items():
        process.wait(timeout=600)
        output = (reports / "output.txt").read_text()
        assert process.returncode == 1, f"{name}: expected failing scenarios, exit {process.returncode}\n{output[-2000:]}"
        outcomes = {r["id"]: r["outcome"] for r in json.loads((reports / "requirements.json").read_text())["requirements"]}
        missed = {rid for rid in MUTANTS[name][1] if outcomes[rid] != "failed"}
        if missed:
            escaped[name] = sorted(missed)
    assert escaped == {}, f"mutants not caught by the suite: {escaped}"
