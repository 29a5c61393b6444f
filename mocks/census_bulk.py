"""The census written straight into the stores (``mocks up --seed N --seed-via bulk``): the records
the API path (census.py) leaves behind, made by the same code, without the requests and messages
between.

Each person's story is replayed as the systems would live it, message by message, but in
memory: the EMR's patient (new_patient, the diagnoses, the MR Number), the ADT the reference
integration would send (adt_patient) applied by the RCM (update_episode), each RCM save of an
insurance or U/R (merge_insurance, merge_review) and the body the integration would post back
(emr_insurance, emr_review) applied to the EMR's mirror (judge, _replace, primary_company). What
is not kept is the traffic: no journal entries, outbox rows, inbox keys or Idempotency-Keys.

Only the reference integration is replayed: with other integration plugins (or one blocked), use
the API path. Random identifiers (patient_master_id, MSH-10 control ids) are drawn from the seed,
so the same seed gives the same stores; on the API path they are random.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from typing import Any

from kipu_harness.plugins.integration import adt_patient
from kipu_harness.plugins.rcm_to_emr import emr_insurance, emr_review

from .census_people import Admission, Prospect
from .crm.schemas import OpportunityIn
from .crm.schemas import ProspectIn as CrmProspect
from .common.schemas import ssn_digits
from .common.store import PUT, dump
from .emr.diagnoses import icd10_billable
from .emr.mirror import days_of_week, managed, primary_company, self_fields, _replace
from .emr.mirror_schemas import RcmInsurances, RcmReviews
from .emr.ordering import judge
from .emr.patients import new_patient
from .emr.schemas import NewPatient
from .rcm import patients as rcm_patients
from .rcm.insurance import check_priorities, merge_insurance
from .rcm.review import merge_review
from .rcm.schemas import AuthorizationIn, InsuranceIn
from .rcm.schemas import ProspectIn as RcmProspect

CHUNK = 2000  # people per transaction
REFERENCE = {"kipu_harness.plugins.integration", "kipu_harness.plugins.rcm_to_emr"}


def replayable(pm: Any) -> bool:
    """True when the systems' events go to the reference integration and nothing else."""
    return {pm.get_name(i.plugin) for i in pm.hook.harness_system_event.get_hookimpls()} == REFERENCE


def write(suite: Any, people: Iterable[Prospect | Admission], advance: Callable[[int], None], seed: int = 0) -> None:
    batch: list[Prospect | Admission] = []
    for person in people:
        batch.append(person)
        if len(batch) == CHUNK:
            _write(suite, batch, seed)
            advance(len(batch))
            batch = []
    if batch:
        _write(suite, batch, seed)
        advance(len(batch))


def _write(suite: Any, batch: list[Prospect | Admission], seed: int) -> None:
    with ExitStack() as stack:
        stack.enter_context(suite.apps["emr"].app_context())  # new_patient and the mirror read ctx()
        crm, emr, rcm = (_Buffer(stack.enter_context(suite.contexts[s].store.transaction()))
                         for s in ("crm", "emr", "rcm"))
        writer = _Writer(suite, crm, emr, rcm, seed)
        for person in batch:
            if isinstance(person, Prospect):
                writer.prospect(person)
            else:
                writer.admission(person)
            for buffer in (crm, emr, rcm):
                buffer.flush()


class _Buffer:
    """A Tx that keeps one person's records in memory and writes each once (``flush``): a record
    is saved again and again along the way (the EMR patient five times), stored once. The
    transaction's records are found through it as the store would find them."""

    def __init__(self, tx: Any):
        self._tx = tx
        self._docs: dict[str, dict[int, dict[str, Any] | None]] = {}  # kind -> id -> doc (None: deleted)
        self._last: dict[str, int] = {}  # kind -> the highest id given

    def get(self, kind: str, id: int) -> dict[str, Any] | None:
        mine = self._docs.get(kind, {})
        return mine[int(id)] if int(id) in mine else self._tx.get(kind, id)

    def insert(self, kind: str, doc: dict[str, Any]) -> dict[str, Any]:
        if kind not in self._last:
            (last,) = self._tx._conn.execute("SELECT COALESCE(MAX(id), 0) FROM records WHERE kind = ?",
                                             (kind,)).fetchone()
            self._last[kind] = last
        self._last[kind] += 1
        doc = {"id": self._last[kind], **doc}
        self.put(kind, doc)
        return doc

    def put(self, kind: str, doc: dict[str, Any]) -> None:
        self._docs.setdefault(kind, {})[int(doc["id"])] = doc

    def delete(self, kind: str, id: int) -> None:
        self._docs.setdefault(kind, {})[int(id)] = None

    def find(self, kind: str, **equal: Any) -> list[dict[str, Any]]:
        mine = self._docs.get(kind, {})
        found = {d["id"]: d for d in self._tx.find(kind, **equal) if d["id"] not in mine}
        found.update((i, d) for i, d in mine.items() if d is not None and all(d.get(k) == v for k, v in equal.items()))
        return [found[i] for i in sorted(found)]

    def all(self, kind: str) -> list[dict[str, Any]]:
        return self.find(kind)

    def flush(self) -> None:
        rows = [(kind, i, d) for kind, docs in self._docs.items() for i, d in docs.items()]
        self._tx._conn.executemany(PUT, [(k, i, dump(d)) for k, i, d in rows if d is not None])
        self._tx._conn.executemany("DELETE FROM records WHERE kind = ? AND id = ?",
                                   [(k, i) for k, i, d in rows if d is None])
        self._docs.clear()


class _Writer:
    def __init__(self, suite: Any, crm: Any, emr: Any, rcm: Any, seed: int):
        self.crm, self.emr, self.rcm = crm, emr, rcm
        self.context = suite.contexts["rcm"]
        self.settings = suite.settings
        self.clock = suite.clock
        self.seed = seed
        self.care_levels: dict[str | None, Any] = {}

    def _id(self, what: str, number: int) -> uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"kipu-harness:census:{self.seed}:{what}:{number}")

    # -- the CRM's prospect, and the RCM's Prospective Patient its webhook makes (WF-1.2) ----------
    def prospect(self, person: Prospect) -> None:
        now = self.clock.now().isoformat()
        record = CrmProspect.model_validate(person.person).model_dump()
        record.update(middle_name=record["middle_name"] or "", ssn=ssn_digits(record["ssn"]), insurance=[],
                      created_at=now)
        prospect = self.crm.insert("prospect", record)
        opportunity = OpportunityIn.model_validate({"level_of_care": person.level_of_care}).model_dump()
        self.crm.insert("opportunity", {**opportunity, "prospect_id": prospect["id"], "status": "open",
                                        "emr_patient_id": None})
        body = RcmProspect.model_validate({"crm_prospect_id": prospect["id"], "first_name": prospect["first_name"],
                                           "middle_name": prospect.get("middle_name") or "",
                                           "last_name": prospect["last_name"], "birthday": prospect.get("dob"),
                                           "phone": prospect.get("phone")})
        patient = rcm_patients._new_patient(now, crm_prospect_id=body.crm_prospect_id)
        patient["profile"].update(first_name=body.first_name, last_name=body.last_name,
                                  middle_initial=rcm_patients.middle_initial(body.middle_name or ""),
                                  birthday=body.birthday, phone=body.phone)
        self.rcm.insert("patient", patient)

    # -- an admission: the EMR patient, its two ADTs, the RCM's saves and the EMR's mirror of them -
    def admission(self, person: Admission) -> None:
        data = NewPatient.model_validate({"document": {"data": person.person}}).document.data.stored()
        patient = self.emr.insert("patient", new_patient(data))
        patient["patient_master_id"] = str(self._id("patient", patient["id"]))
        rcm_patient = self._adt(patient, "A04", None)
        today, now = self.clock.today().isoformat(), self.clock.now().isoformat()
        for code in person.diagnoses:
            dotted, description = _billable(code)
            patient["diagnoses"].append({"code": dotted, "description": description, "added_on": today,
                                         "principal": not patient["diagnoses"],
                                         "sequence": len(patient["diagnoses"]) + 1})
            patient["last_updated_at"] = now
        patient["mr_number"] = f"MR{self.clock.today():%Y}{patient['id']:05d}"
        patient["last_updated_at"] = now
        rcm_patient = self._adt(patient, "A01", rcm_patient)
        patient["rcm"].update(last_sent_at=now, sends=patient["rcm"]["sends"] + 1, connected=True, connected_at=now)
        self.emr.put("patient", patient)
        episode = rcm_patient["treatment_episodes"][-1]
        for body in person.insurances:
            self._insurance(rcm_patient, episode, patient, body)
        self._review(rcm_patient, episode, patient, person.review)
        self.rcm.put("patient", rcm_patient)

    def _adt(self, patient: dict[str, Any], trigger: str, rcm_patient: dict[str, Any] | None) -> dict[str, Any]:
        """What the RCM makes of the ADT the EMR sends (apply_in_order, then apply_adt)."""
        sequence = self._next(self.emr, "adt", patient["id"])
        adt, _ = adt_patient(patient, self.settings)
        now = self.clock.now().isoformat()
        if rcm_patient is None:
            rcm_patient = self.rcm.insert("patient", rcm_patients._new_patient(
                now, emr_patient_id=adt.patient_id, crm_prospect_id=rcm_patients._int(adt.crm_prospect_id)))
        rcm_patient["emr_patient_id"] = adt.patient_id
        rcm_patient["profile"].update(
            patient_id=adt.patient_id, first_name=adt.first_name, last_name=adt.last_name,
            middle_initial=rcm_patients.middle_initial(adt.middle_name),
            birthday=adt.dob.isoformat() if adt.dob else None, phone=adt.phone or None,
            social_security_number=adt.ssn or None)
        if trigger != "A04":
            rcm_patient["status"] = rcm_patients.ADMITTED
            rcm_patients.update_episode(rcm_patient, adt, self.settings)
        rcm_patient["updated_at"] = now
        self.rcm.put("patient", rcm_patient)
        control_id = self._id(f"adt-{trigger}", patient["id"]).hex[:20]
        self.rcm.put("applied:adt", {"id": rcm_patient["id"], "sequence": sequence, "sent_at": now,
                                     "control_id": control_id})
        return rcm_patient

    def _days(self, level_of_care: str | None) -> Any:
        if level_of_care not in self.care_levels:
            self.care_levels[level_of_care] = days_of_week(self.emr, level_of_care)
        return self.care_levels[level_of_care]

    def _next(self, tx: Any, stream: str, key: int) -> int:
        """EventContext.next_sequence."""
        counter = tx.get(f"sequence:{stream}", key) or {"id": key, "last": 0}
        counter["last"] += 1
        tx.put(f"sequence:{stream}", counter)
        return counter["last"]

    def _insurance(self, rcm_patient: dict[str, Any], episode: dict[str, Any], patient: dict[str, Any],
                   body: dict[str, Any]) -> None:
        """save_insurance in the RCM, then receive_insurances in the EMR."""
        changes = InsuranceIn.model_validate(body).model_dump(exclude_unset=True)
        entries = episode["intake"]["insurance"]["insurance_set"]["insurances"]
        values = merge_insurance(self.rcm, changes, None)
        if values["policy_holder"]["relationship"] == "Self":
            rcm_patients.apply_self(values["policy_holder"], rcm_patient)
        entry = {"id": max((e["id"] for e in entries), default=0) + 1, "verified": None, "eligibility": None}
        entries.append(entry)
        entry.update(values, saved_at=self.clock.now().isoformat())
        check_priorities(entries)
        sent = RcmInsurances.model_validate({
            "emr_patient_id": rcm_patient["emr_patient_id"], "insurances": [emr_insurance(i) for i in entries],
            "sequence": self._next(self.rcm, "insurances", rcm_patient["id"])})
        if judge(self.emr, "insurances", patient["id"], sent) == "":
            incoming = [{**i.model_dump(), **self_fields(patient, i.subscriber_relationship)} for i in sent.insurances]
            _replace(self.emr, "insurance", patient["id"], "rcm_insurance_id", incoming)
            primary_company(self.emr, patient)

    def _review(self, rcm_patient: dict[str, Any], episode: dict[str, Any], patient: dict[str, Any],
                body: dict[str, Any]) -> None:
        """save_review (a U/R) in the RCM, then receive_reviews in the EMR."""
        changes = AuthorizationIn.model_validate(body).model_dump(exclude_unset=True)
        entries = episode["scheduling_and_utilization"]["utilization_reviews"]
        entry = {"id": max((e["id"] for e in entries), default=0) + 1}
        entries.append(entry)
        entry.update(merge_review(self.rcm, changes, None), saved_at=self.clock.now().isoformat())
        sent = RcmReviews.model_validate({
            "emr_patient_id": rcm_patient["emr_patient_id"], "utilization_reviews": [emr_review(r) for r in entries],
            "sequence": self._next(self.rcm, "utilization_reviews", rcm_patient["id"])})
        if judge(self.emr, "utilization_reviews", patient["id"], sent) == "":
            incoming = [{**r.model_dump(), "lcd": bool(r.lcd), "managed": managed(r.authorization_status, self.settings),
                         "days_of_week": self._days(r.level_of_care)} for r in sent.utilization_reviews]
            _replace(self.emr, "utilization_review", patient["id"], "rcm_review_id", incoming)


_BILLABLE: dict[str, tuple[str | None, str | None]] = {}


def _billable(code: str) -> tuple[str, str]:
    if code not in _BILLABLE:
        _BILLABLE[code] = icd10_billable(code)
    dotted, description = _BILLABLE[code]
    if dotted is None:
        raise ValueError(f"census diagnosis {code}: {description}")
    return dotted, description
