"""The built-in links of the RCM's charge-matching chain (BAT-05..BAT-09), one hook each.

Order (pluggy call order): the level of care's unique ID first (tryfirst), then the exact
service name, then revenue code + procedure code + modifier + claim format together (trylast).
Each link is a plugin object of its own, so a deployment can block one by name
(``kipu_harness.plugins.charge_matching.by_service_name``) or add its own between them.
"""

from __future__ import annotations

from kipu_harness import hookimpl
from kipu_harness.events import ChargeToMatch, MatchStep


class _LevelOfCareId:
    """BAT-05: a level of care matches first on the unique ID both systems share."""

    @hookimpl(tryfirst=True)
    def harness_match_charge(self, charge: ChargeToMatch, services: list, pay_type: str) -> MatchStep:
        if not charge.level_of_care_uid:
            return MatchStep("level of care ID", None, "the charge names no level of care")
        found = [s for s in services if s.get("level_of_care_uid") == charge.level_of_care_uid]
        if found:
            return MatchStep("level of care ID", found[0])
        return MatchStep("level of care ID", None,
                         f"no {pay_type}-pay RCM service has level of care ID {charge.level_of_care_uid!r}")


class _ServiceName:
    """BAT-06: the EMR's Service Description equals the RCM's Service Name, exactly."""

    @hookimpl
    def harness_match_charge(self, charge: ChargeToMatch, services: list, pay_type: str) -> MatchStep:
        found = [s for s in services if s["name"] == charge.service_description]
        if found:
            return MatchStep("service name", found[0])
        return MatchStep("service name", None,
                         f"no {pay_type}-pay RCM service is named exactly {charge.service_description!r}")


class _Codes:
    """BAT-07/BAT-09/BAT-11: revenue code, procedure code, modifier and claim format together; a
    modifier that matches no RCM service is ignored rather than failing the match."""

    @hookimpl(trylast=True)
    def harness_match_charge(self, charge: ChargeToMatch, services: list, pay_type: str) -> MatchStep:
        def key(modifier: str) -> tuple[str, str, str, str]:
            return (charge.revenue_code, charge.procedure_code, modifier, charge.claim_format.lower())

        for modifier in dict.fromkeys((charge.modifier, "")):
            found = [s for s in services
                     if (s["revenue_code"], s["procedure_code"], s["modifier"], s["claim_format"]) == key(modifier)]
            if found:
                ignored = f" (modifier {charge.modifier!r} matches no service: ignored)" if modifier != charge.modifier else ""
                return MatchStep("codes", found[0], ignored.strip())
        return MatchStep("codes", None, f"no {pay_type}-pay RCM service has revenue code {charge.revenue_code!r}, "
                                        f"procedure code {charge.procedure_code!r}, modifier {charge.modifier!r} "
                                        f"and claim format {charge.claim_format!r}")


by_level_of_care_id = _LevelOfCareId()
by_service_name = _ServiceName()
by_codes = _Codes()
