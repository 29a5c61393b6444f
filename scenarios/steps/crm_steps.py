"""Steps that act on and look at the CRM."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from kipu_harness.synthetic import demographics

from ..vocabulary import TYPES, PersonName


def _create(crm, fake, name: str, dob: str | None = None):
    person = PersonName.parse(name)
    data = demographics(fake, first=person.first, middle=person.middle, last=person.last, dob=dob)
    fields = {k: v for k, v in data.items() if k != "admission_date"}
    return crm.create_prospect(**fields)


@when(parsers.parse('a prospect "{name}" born {dob:Date} is created in the CRM', extra_types=TYPES),
      target_fixture="prospect")
def create_prospect_born(crm, fake, name, dob):
    return _create(crm, fake, name, dob.isoformat())


@given(parsers.parse('a prospect "{name}" in the CRM'), target_fixture="prospect")
def given_prospect(crm, fake, name):
    return _create(crm, fake, name)


@given(parsers.parse('a prospect "{name}" in the CRM with a Treatment Opportunity'), target_fixture="prospect")
def given_prospect_with_opportunity(crm, fake, name):
    prospect = _create(crm, fake, name)
    crm.create_opportunity(prospect.id, level_of_care="Residential", program="Adult")
    return crm.get_prospect(prospect.id)


@when(parsers.parse('insurance from payer "{payer}" with policy number "{policy}" is added to the prospect'))
def add_insurance(crm, prospect, payer, policy):
    crm.add_insurance(prospect.id, payer_name=payer, policy_number=policy)


@when(parsers.parse('a Treatment Opportunity for level of care "{level}" is created for the prospect'))
def create_opportunity(crm, prospect, level):
    crm.create_opportunity(prospect.id, level_of_care=level)


@when("the Treatment Opportunity is pushed to the EMR")
@when("the Treatment Opportunity is pushed to the EMR again")
def push_opportunity(crm, prospect):
    opportunity = crm.get_prospect(prospect.id).opportunities[-1]
    crm.push_to_emr(opportunity.id)


@then(parsers.parse('the CRM has the prospect "{name}"'))
def crm_has_prospect(crm, prospect, name):
    person = PersonName.parse(name)
    stored = crm.get_prospect(prospect.id)
    assert (stored.first_name, stored.middle_name, stored.last_name) == (person.first, person.middle, person.last)


@then(parsers.parse('the prospect carries insurance from payer "{payer}" with policy number "{policy}"'))
def prospect_has_insurance(crm, prospect, payer, policy):
    insurance = crm.get_prospect(prospect.id).insurance
    assert any(i["payer_name"] == payer and i["policy_number"] == policy for i in insurance), insurance


@then(parsers.parse('the prospect\'s Treatment Opportunity is "{status}" with level of care "{level}"'))
def opportunity_state(crm, prospect, status, level):
    opportunities = crm.get_prospect(prospect.id).opportunities
    assert len(opportunities) == 1, opportunities
    assert (opportunities[0].status, opportunities[0].level_of_care) == (status, level)
