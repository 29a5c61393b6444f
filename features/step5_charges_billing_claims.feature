Feature: Step 5 - Charges, billing and claims
  Billable services are documented in the EMR through Group Sessions and Evaluations, reviewed on
  the Billing Audit Tool Report and transmitted to the RCM. Transmitted services appear on the
  RCM's Attendance Calendar, where selected treatments are submitted for billing; claims are
  created and submitted in the RCM's Work Center.

  Background:
    Given the EMR has the billable templates of the default facility
    And a patient admitted through the EMR, with insurance and authorizations in the RCM

  @REQ-WF-5.1 @REQ-PROC-04 @REQ-SET-06
  Scenario: Services documented in group sessions and evaluations become billed items
    When the patient attends the "Residential Day" group session on 2026-03-03
    And the "Individual Therapy 60" evaluation is documented for the patient on 2026-03-03
    Then the Billing Audit Tool Report lists "Residential, Individual Therapy 60" for the patient
    And the "Residential" item is billed per diem for level of care "Residential"
    And the "Individual Therapy 60" item is billed as ancillary with CPT "90837"

  @REQ-WF-5.2 @REQ-PROC-05
  Scenario: Billed items are reviewed, edited, and only the selected ones are transmitted
    Given the patient attends the "Residential Day" group session on 2026-03-03
    And the "Individual Therapy 60" evaluation is documented for the patient on 2026-03-03
    When the biller edits the "Individual Therapy 60" item's place of service to "02"
    And the biller transmits only the "Residential" item
    Then the "Residential" item is transmitted
    And the "Individual Therapy 60" item is still open, with place of service "02"

  @REQ-WF-5.3
  Scenario: Transmitted services appear on the Attendance Calendar and are submitted for billing
    Given the patient attends the "Residential Day" group session on 2026-03-03
    And the patient attends the "Residential Day" group session on 2026-03-04
    When the biller transmits the patient's items
    Then the RCM's Attendance Calendar shows "Residential" on 2026-03-03 and on 2026-03-04
    When the RCM biller submits the treatment of 2026-03-03 for billing
    Then the treatment of 2026-03-03 is "submitted" and the treatment of 2026-03-04 is "transmitted"

  @REQ-WF-5.4 @REQ-SET-01 @REQ-SET-02
  Scenario: Claims are created in the Work Center, sent as X12, and accepted by the clearinghouse
    Given the patient attends the "Residential Day" group session on 2026-03-03
    And the "Individual Therapy 60" evaluation is documented for the patient on 2026-03-03
    And the biller transmits the patient's items
    And the RCM biller submits every transmitted treatment for billing
    When the RCM biller creates claims in the Work Center
    Then the Work Center holds an "837I" claim with a line "H0018" and an "837P" claim with a line "90837"
    And every claim is "accepted", with a 999 that accepts it and a 277CA
    And the claims name the Konnector's rendering provider "1987654328"

  @REQ-PROC-08
  Scenario: The report shows errors that block transmission and warnings that do not
    Given the "Individual Therapy 60" evaluation is documented for the patient on 2026-03-03 lasting 20 minutes
    And the patient attends the "Group Therapy" group session on 2026-03-03
    And the biller edits the "Group Therapy" item's rendering provider to "1321098760"
    When the biller transmits the patient's items
    Then the "Individual Therapy 60" item shows a warning and is transmitted
    And the "Group Therapy" item shows an error and is not transmitted

  @REQ-SET-05
  Scenario Outline: A user without the billing role cannot <action>
    Given the patient attends the "Residential Day" group session on 2026-03-03
    When the user "clinician" tries to <action>
    Then the <system> refuses

    Examples:
      | action                                   | system |
      | transmit the patient's items             | EMR    |
      | submit the patient's treatments          | RCM    |
      | create claims in the Work Center         | RCM    |

  @REQ-PROC-07 @REQ-BAT-08
  Scenario: A private-pay patient is billed with the private-pay codes, and no payer claim is made
    Given a private-pay patient admitted through the EMR, with a U/R in the RCM
    And the private-pay patient attends the "Residential Day" group session on 2026-03-03
    When the biller transmits the private-pay patient's items
    And the RCM biller submits every transmitted treatment for billing
    And the RCM biller creates claims in the Work Center
    Then the private-pay patient's treatment matched the service "Residential - Private Pay"
    And the Work Center holds a "private pay statement" for the private-pay patient and no payer claim

  @REQ-PROC-06 @REQ-BAT-02
  Scenario Outline: A charge the RCM cannot take comes back as a batch transmission error: <cause>
    Given <situation>
    And the patient attends the "<template>" group session on 2026-03-10
    When the biller transmits the patient's items
    Then the "<item>" item comes back with a batch transmission error, saying why and how to fix it
    And the RCM's Attendance Calendar is empty for the patient

    Examples:
      | situation                                                               | template        | item        | cause                                        |
      | the patient's U/R in the RCM is "Denied"                                | Residential Day | Residential | no U/R in the RCM authorizes it              |
      | the patient's admission date is changed to 2026-03-01 in the EMR        | Residential Day | Residential | no treatment episode in the RCM was admitted |
      | the EMR has an ancillary group template "Art Therapy" with CPT "90899"  | Art Therapy     | Art Therapy | no RCM service matches it                    |
      | the patient was never admitted in the RCM                               | Group Therapy   | Group Therapy | the patient's profile is not in the RCM    |
      | the patient's treatment episode in the RCM has no insurance             | Group Therapy   | Group Therapy | the RCM holds no insurance for the episode |

  @REQ-PROC-03
  Scenario: A level-of-care charge is authorized by the U/R, an ancillary one by its standalone authorization
    Given the patient attends the "Residential Day" group session on 2026-03-03
    And the "Individual Therapy 60" evaluation is documented for the patient on 2026-03-03
    When the biller transmits the patient's items
    Then the RCM's Attendance Calendar shows "Residential" on 2026-03-03
    And the RCM's Attendance Calendar shows "Individual Therapy 60" on 2026-03-03

  @REQ-BAT-04
  Scenario: A charge goes to the treatment episode of its admit date, not to the latest one
    Given the patient attends the "Residential Day" group session on 2026-03-03
    And the discharge date 2026-03-20 is set for the patient in the EMR
    And the patient's admission date is changed to 2026-04-02 in the EMR
    When "Send to Kipu RCM" is clicked for the patient
    And the biller transmits the patient's items
    Then the RCM patient has 2 treatment episodes
    And the RCM files the treatment under the episode admitted on 2026-03-02 and keeps only what travels

  @REQ-PROC-06
  Scenario: A refused charge does not stop the others of its batch, and the error is its own
    Given the EMR has an ancillary group template "Art Therapy" with CPT "90899"
    And the patient attends the "Residential Day" group session on 2026-03-10
    And the patient attends the "Art Therapy" group session on 2026-03-10
    When the biller transmits the patient's items
    Then the "Art Therapy" item comes back with a batch transmission error, saying why and how to fix it
    And the "Residential" item is transmitted
    And the RCM's Attendance Calendar shows "Residential" on 2026-03-10
