Feature: Step 2 - Patient admission (EMR to RCM)
  The EMR accepts a record pushed from the CRM, and the patient is completed with an Admission
  Date, an MR Number, the required demographics and at least one diagnosis. Generating the MR
  Number sends the patient to the RCM; Send to Kipu RCM on the Facesheet sends updates. The RCM
  then creates or updates the patient, sets the profile to Admitted and opens a treatment episode.

  @REQ-WF-2.1
  Scenario: A record pushed from the CRM must be accepted before it can be admitted
    Given a prospect "Fay Gold" pushed from the CRM to the EMR
    When the MR Number is generated for the patient in the EMR
    Then the EMR refuses
    When the patient is accepted in the EMR
    Then the EMR patient is "accepted"

  @REQ-WF-2.2 @REQ-PROC-01
  Scenario Outline: Sending a patient without <missing> is refused, naming what is missing
    Given an accepted EMR patient with everything an admission needs except <missing>
    When "Send to Kipu RCM" is clicked for the patient
    Then the EMR refuses, naming "<field>"
    And the RCM has no admitted patient for the EMR patient

    Examples:
      | missing            | field          |
      | the admission date | admission_date |
      | the MR Number      | mr_number      |
      | a diagnosis        | diagnoses      |
      | the date of birth  | dob            |
      | the street address | address_street |
      | the birth sex      | gender         |
      | the phone          | phone          |

  @REQ-WF-2.2
  Scenario: Generating the MR Number before the patient is complete does not send it
    Given an accepted EMR patient with everything an admission needs except a diagnosis
    When the MR Number is generated for the patient in the EMR
    Then the EMR reports the patient was not sent because "diagnoses" is missing
    And the RCM has no admitted patient for the EMR patient

  @REQ-WF-2.3 @REQ-PAT-01 @REQ-PAT-02 @REQ-WF-2.5
  Scenario: Generating the MR Number makes the initial connection and admits the patient in the RCM
    Given an accepted EMR patient with everything an admission needs except the MR Number
    When the MR Number is generated for the patient in the EMR
    Then the RCM has exactly one patient for the EMR patient, with status "Admitted"
    And the RCM patient has 1 treatment episode
    And the EMR shows the patient connected to the RCM

  @REQ-WF-2.5 @REQ-SYS-05 @REQ-SYS-01
  Scenario: A prospect from the CRM is admitted onto its own Prospective Patient record
    Given a prospect "Gus Ibarra" pushed from the CRM to the EMR
    When the patient is accepted in the EMR
    And the patient's admission date, demographics and diagnosis "F11.20" are completed in the EMR
    And the MR Number is generated for the patient in the EMR
    Then the RCM has exactly one patient for the prospect, with status "Admitted"
    And the RCM patient has 1 treatment episode

  @REQ-PAT-02
  Scenario Outline: <action> makes the initial connection
    Given an accepted EMR patient whose MR Number was generated before its diagnosis was added
    And the RCM has no admitted patient for the EMR patient
    When "<action>" is clicked for the patient
    Then the RCM has exactly one patient for the EMR patient, with status "Admitted"

    Examples:
      | action           |
      | Send to Kipu RCM |
      | Manage Insurance |
      | Manage Review    |

  @REQ-WF-2.4
  Scenario: Send to Kipu RCM sends an update made in the EMR
    Given a patient admitted through the EMR
    When the patient's phone is changed to "512-555-0188" in the EMR
    And "Send to Kipu RCM" is clicked for the patient
    Then the RCM patient's profile phone is "512-555-0188"

  @REQ-PAT-03
  Scenario Outline: The demographics are re-sent when <trigger>
    Given a patient admitted through the EMR
    And the patient's phone is changed to "512-555-0199" in the EMR
    When <trigger>
    Then the RCM patient's profile phone is "512-555-0199"

    Examples:
      | trigger                                                     |
      | diagnosis "F41.1" is added to the patient in the EMR        |
      | the discharge date 2026-03-20 is set for the patient in the EMR |
      | "Send to Kipu RCM" is clicked for the patient               |

  @REQ-PAT-03
  Scenario: A demographic change alone is not sent to the RCM
    Given a patient admitted through the EMR
    When the patient's phone is changed to "512-555-0177" in the EMR
    Then the RCM patient's profile phone is not "512-555-0177"

  @REQ-PAT-03
  Scenario: Every new diagnosis re-sends the patient, not only the first after the admission
    Given a patient admitted through the EMR with diagnosis "F10.20"
    And diagnosis "F33.1" is added to the patient in the EMR
    And the patient's phone is changed to "512-555-0166" in the EMR
    When diagnosis "F41.1" is added to the patient in the EMR
    Then the RCM patient's profile phone is "512-555-0166"
    And the RCM's behavioral diagnoses are "F10.20, F33.1, F41.1"

  @REQ-WF-2.6
  Scenario Outline: Admission is the same for a patient who started in <origin>
    Given a patient "Hana Ito" born 1992-07-14 who started in <origin>, accepted and completed in the EMR
    When the MR Number is generated for the patient in the EMR
    Then the RCM has exactly one patient for the EMR patient, with status "Admitted"
    And the RCM patient has 1 treatment episode
    And the RCM patient's profile shows first name "Hana", last name "Ito" and birthday 1992-07-14

    Examples:
      | origin  |
      | the CRM |
      | the EMR |

  @REQ-WF-2.5
  Scenario: A re-send after discharge keeps the treatment episode (AMB-08)
    Given a patient admitted through the EMR
    When the discharge date 2026-03-20 is set for the patient in the EMR
    And "Send to Kipu RCM" is clicked for the patient
    Then the RCM patient has 1 treatment episode
    And the RCM shows "2026-03-20" at "Admit/Discharge > Discharge Date"

  @REQ-WF-2.5
  Scenario: A new admission after a discharge opens a new treatment episode (AMB-08)
    Given a patient admitted through the EMR
    And the discharge date 2026-03-20 is set for the patient in the EMR
    When the patient's admission date is changed to 2026-04-02 in the EMR
    And "Send to Kipu RCM" is clicked for the patient
    Then the RCM patient has 2 treatment episodes
    And the RCM shows "2026-04-02" at "Admit/Discharge > Admit Date"
