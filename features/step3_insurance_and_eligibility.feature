Feature: Step 3 - Insurance and eligibility
  Insurance is added or reviewed from the EMR with Manage Insurance, which opens the RCM's
  insurance entry for the patient: the data is written in the RCM. The RCM's Insurance Set holds
  primary, secondary and tertiary payers as needed; payer and policy holder details are verified
  in the RCM. An electronic eligibility check is started from the EMR's window into the RCM, and
  its results are reviewed and completed in the RCM.

  Background:
    Given the RCM's payer list has "Aetna" with payer ID "60054" and phone "800-872-3862"
    And the RCM's payer list has "Cigna" with payer ID "62308" and phone "800-997-1654"
    And the RCM's payer list has "Humana" with payer ID "61101" and phone "800-457-4708"

  @REQ-WF-3.1 @REQ-INS-01 @REQ-PAT-02
  Scenario: Manage Insurance opens the RCM's insurance entry, and what is entered there is the RCM's
    Given an accepted EMR patient whose MR Number was generated before its diagnosis was added
    When the user opens Manage Insurance for the patient in the EMR
    And the user adds a "primary" insurance with payer "Aetna" for the patient as "Self" through the window
    Then the RCM has exactly one patient for the EMR patient, with status "Admitted"
    And the RCM's Insurance Set for the patient holds "primary" with payer "Aetna"
    And the EMR shows 1 insurance for the patient, from the RCM

  @REQ-WF-3.2 @REQ-PROC-02
  Scenario: The Insurance Set holds primary, secondary and tertiary payers
    Given a patient admitted through the EMR
    When the RCM user adds a "primary" insurance with payer "Aetna" for the patient as "Self"
    And the RCM user adds a "secondary" insurance with payer "Cigna" for the patient as "Spouse"
    And the RCM user adds a "tertiary" insurance with payer "Humana" for the patient as "Other"
    Then the RCM's Insurance Set for the patient holds "primary, secondary, tertiary"
    And the EMR shows the insurance priorities "Primary, Secondary, Tertiary" for the patient

  @REQ-WF-3.2 @REQ-PROC-02
  Scenario: A tertiary insurance without a secondary one is refused, with the reason
    Given a patient admitted through the EMR
    And the RCM user adds a "primary" insurance with payer "Aetna" for the patient as "Self"
    When the RCM user adds a "tertiary" insurance with payer "Humana" for the patient as "Self"
    Then the RCM refuses
    And the RCM's Insurance Set for the patient holds "primary"

  @REQ-WF-3.3
  Scenario: Payer and policy holder details are verified in the RCM
    Given a patient admitted through the EMR
    And the RCM user adds a "primary" insurance with payer "Aetna" for the patient as "Spouse"
    When the RCM user verifies the patient's "primary" insurance as "Billing Specialist"
    Then the patient's "primary" insurance is verified by "Billing Specialist" in the RCM

  @REQ-WF-3.1 @needs-clock
  Scenario: A Manage Insurance link stops working when it expires
    Given the systems' date is 2026-03-02
    And a patient admitted through the EMR
    And the user opens Manage Insurance for the patient in the EMR
    And the systems' time moves on by 31 minutes
    When the user adds a "primary" insurance with payer "Aetna" for the patient as "Self" through the window
    Then the RCM refuses
    And the RCM's Insurance Set for the patient is empty

  @REQ-WF-3.1
  Scenario Outline: A window link is refused <how>
    Given a patient admitted through the EMR
    And another patient admitted through the EMR
    When the user opens <window> for the patient in the EMR
    And the link is used <how>
    Then the RCM refuses
    And the RCM's Insurance Set is empty for both patients

    Examples:
      | window           | how                                 |
      | Manage Insurance | for another patient                 |
      | Manage Review    | to write insurance                  |
      | Manage Insurance | with its signature altered          |

  @REQ-SYS-04
  Scenario: Payers are created in the RCM's payer list
    When the RCM user adds a new payer "Blue Harbor Health" with payer ID "BHH01"
    Then the RCM's payer list has the new payer "Blue Harbor Health"

  @REQ-WF-3.4 @needs-payer @needs-journal
  Scenario Outline: An eligibility check started from the EMR for a member who is <outcome>
    Given a patient admitted through the EMR
    And the payer answers eligibility for member "<member>" as "<outcome>"
    And the user opens Manage Insurance for the patient in the EMR
    And the user adds a "primary" insurance with payer "Aetna" and member ID "<member>" for the patient as "Self" through the window
    When the user checks eligibility of the "primary" insurance through the window
    Then the RCM keeps the eligibility result "<outcome>" on the "primary" insurance
    And the eligibility result <detail>
    And the RCM journal holds the 270 sent and the 271 received
    When the RCM user reviews the eligibility result of the "primary" insurance as "Intake Coordinator"
    Then the eligibility result of the "primary" insurance is reviewed by "Intake Coordinator"

    Examples:
      | outcome       | member     | detail                                                   |
      | active        | W100000001 | lists active coverage for service types "MH, AI, AJ"     |
      | inactive      | W100000002 | lists inactive coverage                                  |
      | auth_required | W100000003 | says authorization is required                           |
      | not_found     | W100000004 | names the rejection reason "75"                          |

  @REQ-WF-3.4 @needs-payer @needs-journal
  Scenario: An eligibility check for a dependent names the patient apart from the subscriber
    Given a patient admitted through the EMR
    And the RCM user adds a "primary" insurance with payer "Cigna" and member ID "C200000001" for the patient as "Child"
    When the RCM user checks eligibility of the "primary" insurance
    Then the RCM keeps the eligibility result "active" on the "primary" insurance
    And the last 270 the payer received names the subscriber and the patient as a dependent
