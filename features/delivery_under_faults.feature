Feature: Delivery under faults
  The integration sends each change from the system that owns it, and each person has one record
  per system. A real network loses, repeats and reorders messages, and a busy system answers
  errors or nothing at all. The rules must hold anyway: the RCM ends with exactly one patient,
  admitted, with the newest data the EMR sent.

  @REQ-WF-2.3 @REQ-PAT-01 @REQ-SYS-05 @needs-faults @needs-outbox
  Scenario: The RCM answers errors to the first admission messages, and the patient still arrives once
    Given the RCM answers an error to the next 3 "hl7" messages
    And an accepted EMR patient with everything an admission needs except the MR Number
    When the MR Number is generated for the patient in the EMR
    And delivery has recovered
    Then the RCM has exactly one patient for the EMR patient, with status "Admitted"
    And the RCM patient has 1 treatment episode

  @REQ-PAT-03 @REQ-SYS-05 @needs-faults @needs-outbox
  Scenario Outline: When the network <fault> messages to the RCM, it ends with the newest demographics, once
    Given a patient admitted through the EMR
    And the network <fault> the next 2 "hl7" messages to the RCM
    When the patient's phone is changed to "512-555-0101" in the EMR
    And "Send to Kipu RCM" is clicked for the patient
    And the patient's phone is changed to "512-555-0199" in the EMR
    And "Send to Kipu RCM" is clicked for the patient
    And delivery has recovered
    Then the RCM patient's profile phone is "512-555-0199"
    And the RCM has exactly one patient for the EMR patient, with status "Admitted"
    And the RCM patient has 1 treatment episode

    Examples:
      | fault      |
      | duplicates |
      | reorders   |
      | drops      |
      | resets     |
      | hangs on   |

  @REQ-WF-1.2 @REQ-SYS-05 @needs-faults @needs-outbox
  Scenario: A prospect reaches the RCM once although the RCM answers 503 to the first tries
    Given the RCM answers an error to the next 2 "http" messages
    When a prospect "Hal Moreno" born 1984-07-09 is created in the CRM
    And delivery has recovered
    Then the RCM has exactly one patient for the prospect, with status "Prospective Patient"
