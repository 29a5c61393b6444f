"""An independent reader of 270/271: LinuxForHealth x12 (``linuxforhealth-x12``), which turns
005010X279A1 transactions into pydantic models and refuses what breaks their code lists,
loops and counts.

It is written for pydantic 1, and the project runs pydantic 2, so it runs in a child Python
with ``pydantic`` mapped to ``pydantic.v1`` (the compatibility layer pydantic 2 ships).
:func:`lfh_errors` reads many documents in one child; run as a script, this file is that child.

Two of its code lists are narrower than the guide. EB03 lacks the 5010 service types CI and CJ
(substance abuse facility, inpatient and outpatient), which EQ01 has: the child teaches them to
it (a failing EB otherwise ends in a KeyError). The AAA03 of 2100C uses the 2100B list, which
lacks 75 "subscriber/insured not found": that complaint is set aside by its location, and
listed apart. A model that fails also makes its SE count look wrong (``__root__``), which is set
aside only alongside such a complaint.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

AVAILABLE = importlib.util.find_spec("linuxforhealth") is not None


def lfh_errors(texts: dict[str, str], folder: Path) -> dict[str, dict[str, list]]:
    """{name: {"errors": [...], "lfh_defects": [...]}} for each X12 text; "errors" empty means
    LinuxForHealth read it into its model."""
    paths = []
    for name, text in texts.items():
        path = folder / f"{name}.x12"
        path.write_text(text)
        paths.append(str(path))
    done = subprocess.run([sys.executable, __file__, *paths], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout)
    return {Path(path).stem: found[path] for path in paths}


def _lfh_defect(error: dict, text: str) -> bool:
    loc = [str(part) for part in error["loc"]]
    return (loc[-4:-2] == ["loop_2100c", "aaa_segment"] and loc[-1] == "reject_reason_code"
            and "AAA*N**75*" in text)


def _teach_eb03(codes) -> None:
    """Let EB03 take CI and CJ, as EQ01 does, with pseudo-members of its enum."""
    def missing(cls, value):
        if value not in ("CI", "CJ"):
            return None
        member = str.__new__(cls, value)
        member._value_, member._name_ = value, f"SUBSTANCE_ABUSE_FACILITY_{value}"
        return member

    codes._missing_ = classmethod(missing)


def _read(paths: list[str]) -> dict[str, dict[str, list]]:
    import pydantic.v1 as v1  # noqa: PLC0415  (the child only)

    sys.modules["pydantic"] = v1
    for name in ("fields", "main", "types", "validators", "class_validators", "error_wrappers",
                 "env_settings", "dataclasses"):
        sys.modules[f"pydantic.{name}"] = importlib.import_module(f"pydantic.v1.{name}")
    from linuxforhealth.x12.io import X12ModelReader  # noqa: PLC0415
    from linuxforhealth.x12.v5010.segments import EbSegment  # noqa: PLC0415

    _teach_eb03(EbSegment.ServiceTypeCode)

    results = {}
    for path in paths:
        text = Path(path).read_text()
        errors, defects = [], []
        try:
            with X12ModelReader(path) as reader:
                models = list(reader.models())
            if not models:
                errors.append({"loc": ["document"], "msg": "no transaction read"})
        except v1.ValidationError as exc:
            for error in exc.errors():
                item = {"loc": [str(part) for part in error["loc"]], "msg": error["msg"]}
                (defects if _lfh_defect(item, text) else errors).append(item)
            if defects and all(e["loc"] == ["__root__"] and "SE segment count" in e["msg"]
                               for e in errors):
                defects += errors
                errors = []
        except Exception as exc:  # noqa: BLE001  (anything else it refuses is an error to show)
            errors.append({"loc": ["document"], "msg": f"{type(exc).__name__}: {exc}"})
        results[path] = {"errors": errors, "lfh_defects": defects}
    return results


if __name__ == "__main__":
    print(json.dumps(_read(sys.argv[1:])))
