Feature: Step 4 - Utilization review
  A U/R plan is added from the patient's Facesheet with Manage Review, which opens the RCM's U/R
  entry; U/R details are finalized in the RCM. Utilization reviews drive per-diem (Level of
  Care) billing; ancillary services use standalone authorizations.

  Background:
    Given the RCM's payer list has "Aetna" with payer ID "60054" and phone "800-872-3862"
    And the EMR's level of care "Residential" runs "sun, mon, tue, wed, thu, fri, sat"

  @REQ-WF-4.1 @REQ-AUTH-01 @REQ-PAT-02
  Scenario: Manage Review opens the RCM's U/R entry, and the plan added there reaches the EMR
    Given an accepted EMR patient whose MR Number was generated before its diagnosis was added
    When the user opens Manage Review for the patient in the EMR
    And the user adds a U/R for "Residential" from 2026-03-02 to 2026-03-08 with 7 units, "Pending", through the window
    Then the RCM has exactly one patient for the EMR patient, with status "Admitted"
    And the RCM holds 1 utilization review for the patient
    And the EMR shows 1 utilization review for the patient, from the RCM

  @REQ-WF-4.2 @REQ-AUTH-01
  Scenario: U/R details are finalized in the RCM and the EMR follows
    Given a patient admitted through the EMR
    And the RCM user adds a U/R for "Residential" from 2026-03-02 to 2026-03-08 with 7 units, "Pending"
    When the RCM user finalizes the U/R as "Authorized" with authorization number "AUTH-778899" and 10 units
    Then the EMR's utilization review shows status "Approved", authorization number "AUTH-778899" and 10 days
    And the EMR's utilization review shows "Aetna" as "Insurance"

  @REQ-PROC-03 @REQ-AUTH-13
  Scenario: A U/R plan covers the level of care; an ancillary service gets a standalone authorization
    Given a patient admitted through the EMR
    When the RCM user adds a U/R for "Residential" from 2026-03-02 to 2026-03-08 with 7 units, "Authorized"
    And the RCM user adds a standalone authorization for "Individual Therapy 90837" from 2026-03-02 to 2026-03-31 with 4 units, "Authorized"
    Then the RCM holds 1 utilization review for the patient
    And the RCM holds a standalone authorization for "Individual Therapy 90837" for the patient
    And the EMR shows 1 utilization review for the patient, from the RCM
