Feature: Billing Audit Tool table (EMR to RCM)
  Most of a charge's data on the Billing Audit Tool Report is not transferred to the RCM: it is
  used to find the patient's treatment episode and the RCM service, so the RCM can apply its
  service profiles and claim rules. Only the date of service, the units and the rendering
  provider travel. Each Examples row is one row of the overview's Billing Audit Tool table.

  Background:
    Given the EMR has the billable templates of the default facility
    And a patient admitted through the EMR, with insurance and authorizations in the RCM

  Scenario Outline: <data> (transmitted: <transmitted>): <function>
    Given <documented>
    When the biller transmits the patient's items
    Then <observed>

    @REQ-BAT-03
    Examples: Date of Service
      | data            | transmitted | function                          | documented                                                         | observed |
      | Date of Service | Yes         | appears on the Attendance Calendar | the patient attends the "Residential Day" group session on 2026-03-03 | the RCM's Attendance Calendar shows "Residential" on 2026-03-03 |

    @REQ-BAT-04 @REQ-BAT-01
    Examples: Admit Date, Location, Insurance, Program
      | data       | transmitted | function                       | documented                                                         | observed |
      | Admit Date | No          | matches the treatment episode  | the patient attends the "Residential Day" group session on 2026-03-03 | the RCM files the treatment under the episode admitted on 2026-03-02 and keeps only what travels |
      | Location   | No          | matches the treatment episode  | the patient in building "North Campus" attends the "Residential Day" group session on 2026-03-03 | the RCM keeps only what travels, and bills North Campus's rendering provider "1456789019" |
      | Insurance  | No          | matches the treatment episode  | the patient attends the "Residential Day" group session on 2026-03-03 | the RCM keeps only what travels, and the treatment is insurance-pay |
      | Program    | No          | matches the treatment episode  | the patient in program "Young Adult" attends the "Residential Day" group session on 2026-03-03 | the RCM keeps only what travels, and bills Young Adult's rendering provider "1765432103" |

    @REQ-BAT-05
    Examples: Level of Care
      | data          | transmitted | function                          | documented | observed |
      | Level of Care | No          | matches on the LOC's unique ID    | the patient attends a "Residential Day" group session described as "Res. Day (legacy)" on 2026-03-03 | the treatment became the RCM service "Residential" |
      | Level of Care | No          | the LOC ID wins over a name       | the patient attends a "Residential Day" group session described as "Detox" on 2026-03-03 | the treatment became the RCM service "Residential" |

    @REQ-BAT-06 @REQ-BAT-07 @REQ-BAT-08
    Examples: Codes
      | data  | transmitted | function                                         | documented | observed |
      | Codes | No          | exact service name, insurance pay first          | the "Individual Therapy 60" evaluation is documented for the patient on 2026-03-03 | the treatment became the RCM service "Individual Therapy 60" |
      | Codes | No          | the name wins over the codes                     | the "Individual Therapy 60" evaluation, described as "Group Therapy", is documented for the patient on 2026-03-03 | the treatment became the RCM service "Group Therapy" |
      | Codes | No          | a name that is not exact falls to the codes      | the "Individual Therapy 60" evaluation, described as "group therapy", is documented for the patient on 2026-03-03 | the treatment became the RCM service "Individual Therapy 60" |
      | Codes | No          | revenue, procedure, modifier, claim format next, insurance pay first | the "Individual Therapy 60" evaluation, described as "Therapy (60 min)", is documented for the patient on 2026-03-03 | the treatment became the RCM service "Individual Therapy 60" |

    @REQ-BAT-09
    Examples: Modifiers
      | data      | transmitted | function                                  | documented | observed |
      | Modifiers | No          | used to match; one that matches nothing is ignored | the "Individual Therapy 60" evaluation with modifier "HQ", described as "Therapy (60 min)", is documented for the patient on 2026-03-03 | the treatment became the RCM service "Individual Therapy 60", which shows no modifier |

    @REQ-BAT-10
    Examples: Units
      | data  | transmitted | function                            | documented | observed |
      | Units | Yes         | one unit per charge; N charges, N units | the patient attends the "Residential Day" group session 3 times on 2026-03-03 | the RCM's Attendance Calendar shows 3 treatments of 1 unit of "Residential" on 2026-03-03 |

    @REQ-BAT-11
    Examples: Claim Format
      | data         | transmitted | function                               | documented | observed |
      | Claim Format | No          | helps matching; the RCM decides the format | the patient attends the "Residential Day" group session on 2026-03-03 | the claim for it is an "837I", as the RCM service says |
      | Claim Format | No          | a Professional charge that became an institutional service | the "Individual Therapy 60" evaluation, described as "Residential", is documented for the patient on 2026-03-03 | the claim for it is an "837I", as the RCM service says |

    @REQ-BAT-12 @REQ-SET-02 @REQ-SET-07
    Examples: Rendering Provider, blank
      | data               | transmitted | function                         | documented | observed |
      | Rendering Provider | Yes         | blank: the Konnector's provider  | the patient attends the "Residential Day" group session on 2026-03-03 | the RCM's treatment has rendering provider "1987654328" |

    @REQ-BAT-13 @REQ-SET-07
    Examples: Rendering Provider, on the authorization
      | data               | transmitted | function                                        | documented | observed |
      | Rendering Provider | Yes         | another provider only if on the authorization   | the "Individual Therapy 60" evaluation is documented for the patient on 2026-03-03 by rendering provider "1765432103" | the RCM's treatment has rendering provider "1765432103" |
      | Rendering Provider | Yes         | not on the authorization: it does not transmit  | the "Individual Therapy 60" evaluation is documented for the patient on 2026-03-03 by rendering provider "1456789019" | the "Individual Therapy 60" item comes back with a batch transmission error, saying why and how to fix it |
      | Rendering Provider | Yes         | level of care: only if on the U/R                 | the patient attends the "Residential Day" group session on 2026-03-03 with rendering provider "1456789019" | the "Residential" item comes back with a batch transmission error, saying why and how to fix it |
      | Rendering Provider | Yes         | level of care: the U/R names the provider         | the patient's U/R in the RCM names rendering provider "1456789019", and the patient attends the "Residential Day" group session on 2026-03-03 with rendering provider "1456789019" | the RCM's treatment has rendering provider "1456789019" |

    @REQ-BAT-14
    Examples: Diagnosis Codes
      | data            | transmitted | function                            | documented | observed |
      | Diagnosis Codes | No          | from the patient demographics only  | the patient attends the "Residential Day" group session on 2026-03-03 | the RCM keeps only what travels, and the claim's diagnoses are the patient's in the RCM |

    @REQ-BAT-15
    Examples: Place of Service
      | data             | transmitted | function                          | documented | observed |
      | Place of Service | No          | maps the RCM service profile      | the "Individual Therapy 60" evaluation at place of service "02" is documented for the patient on 2026-03-03 | the RCM's treatment uses the service profile for place of service "02" |

    @REQ-BAT-16
    Examples: Duration Met/Required Duration
      | data                            | transmitted | function                          | documented | observed |
      | Duration Met/Required Duration  | No          | not met still arrives as one unit | the "Individual Therapy 60" evaluation is documented for the patient on 2026-03-03 lasting 20 minutes | the RCM's Attendance Calendar shows 1 treatments of 1 unit of "Individual Therapy 60" on 2026-03-03 |

  @REQ-BAT-14
  Scenario: A diagnosis added in the EMR reaches an ancillary claim only after the patient is re-sent
    Given the "Individual Therapy 60" evaluation is documented for the patient on 2026-03-03
    And diagnosis "F43.10" is added to the patient in the EMR
    When the biller transmits the patient's items
    And the RCM biller submits every transmitted treatment for billing
    And the RCM biller creates claims in the Work Center
    Then the "837P" claim's diagnoses include "F43.10"

  @REQ-BAT-09
  Scenario: Modifiers on claims come from the RCM, through a claim rule
    Given the RCM has a claim rule adding modifier "GT" to procedure "90837" for the patient's payer
    And the "Individual Therapy 60" evaluation is documented for the patient on 2026-03-03
    When the biller transmits the patient's items
    And the RCM biller submits every transmitted treatment for billing
    And the RCM biller creates claims in the Work Center
    Then the "837P" claim's line "90837" carries the modifier "GT"

  @REQ-BAT-09
  Scenario: A modifier on the report is not billed: the claim line carries only the RCM's modifiers
    Given the "Individual Therapy 60" evaluation with modifier "HQ", described as "Therapy (60 min)", is documented for the patient on 2026-03-03
    When the biller transmits the patient's items
    And the RCM biller submits every transmitted treatment for billing
    And the RCM biller creates claims in the Work Center
    Then the "837P" claim's line "90837" carries no modifier "HQ"

  @REQ-SET-03 @REQ-SET-04 @REQ-SET-02
  Scenario Outline: Bill by <setting> picks the RCM facility and the rendering provider (AMB-07)
    Given the patient in <where> attends the "Residential Day" group session on 2026-03-03
    When the biller transmits the patient's items
    Then the RCM's treatment has rendering provider "<provider>", billed by facility "<facility>"
    When the RCM biller submits every transmitted treatment for billing
    And the RCM biller creates claims in the Work Center
    Then the "837I" claim's billing provider is "<facility>"

    Examples:
      | setting   | where                                              | provider   | facility                         |
      | Building  | building "North Campus"                            | 1456789019 | Kipu Harness North Campus        |
      | Program   | program "Young Adult"                              | 1765432103 | Kipu Harness Young Adult Program |
      | Program   | building "North Campus" and program "Young Adult"  | 1765432103 | Kipu Harness Young Adult Program |
      | Konnector | building "South Campus"                            | 1987654328 | Kipu Harness Recovery Center     |
