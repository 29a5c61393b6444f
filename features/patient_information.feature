Feature: Patient information table (EMR to RCM)
  Patient information flows one way, from the EMR to the RCM: the EMR is its source of truth.
  It is sent when the initial connection is made and again on Send to Kipu RCM; a discharge date
  and diagnoses are sent as soon as they are filled in the EMR. Each row below is one row of the
  overview's Patient Information table: the EMR field, the value entered there, and where the
  RCM must show it.

  Scenario Outline: The EMR's <emr field> reaches the RCM at <rcm location>
    Given an accepted EMR patient with everything an admission needs except the MR Number
    And the patient's <emr field> is "<emr value>" in the EMR
    When the MR Number is generated for the patient in the EMR
    Then the RCM shows "<rcm value>" at "<rcm location>"

    @REQ-PAT-05
    Examples: Patient ID
      | emr field  | emr value         | rcm location         | rcm value              |
      | Patient ID | (set by the EMR)  | Profile > Patient ID | (the EMR's Patient ID) |

    @REQ-PAT-06
    Examples: MR Number
      | emr field | emr value        | rcm location                                                | rcm value             |
      | MR Number | (set by the EMR) | Treatment Episode > Intake > Patient Profile > Medical Record Number | (the EMR's MR Number) |

    @REQ-PAT-07
    Examples: Last, First and Middle Name
      | emr field   | emr value | rcm location             | rcm value |
      | Last Name   | Okafor    | Profile > Last Name      | Okafor    |
      | First Name  | Chidi     | Profile > First Name     | Chidi     |
      | Middle Name | benedict  | Profile > Middle Initial | B         |
      | Middle Name |           | Profile > Middle Initial |           |

    @REQ-PAT-08
    Examples: Date of Birth
      | emr field     | emr value  | rcm location       | rcm value  |
      | Date of Birth | 1979-06-30 | Profile > Birthday | 1979-06-30 |

    @REQ-PAT-09
    Examples: Birth Sex
      | emr field | emr value | rcm location                                                          | rcm value |
      | Birth Sex | Female    | Treatment Episode > Intake > Insurance > Insurance Set > Policy Holder > Gender | Female    |
      | Birth Sex | Male      | Treatment Episode > Intake > Insurance > Insurance Set > Policy Holder > Gender | Male      |

    @REQ-PAT-10
    Examples: Address, City, State, Zip
      | emr field | emr value     | rcm location                                    | rcm value     |
      | Address   | 42 Elm Street | Treatment Episode > Intake > Patient Profile > Address  | 42 Elm Street |
      | City      | Austin        | Treatment Episode > Intake > Patient Profile > City     | Austin        |
      | State     | TX            | Treatment Episode > Intake > Patient Profile > State    | TX            |
      | Zip       | 73301         | Treatment Episode > Intake > Patient Profile > Zip Code | 73301         |

    @REQ-PAT-11
    Examples: Phone
      | emr field | emr value    | rcm location    | rcm value    |
      | Phone     | 512-555-0142 | Profile > Phone | 512-555-0142 |

    @REQ-PAT-12
    Examples: SSN
      | emr field | emr value   | rcm location                     | rcm value   |
      | SSN       | 123-45-6789 | Profile > Social Security Number | 123-45-6789 |

    @REQ-PAT-13
    Examples: Admission Date (a date alone gets 00:00, AMB-05)
      | emr field      | emr value        | rcm location                 | rcm value  |
      | Admission Date | 2026-03-02       | Admit/Discharge > Admit Date | 2026-03-02 |
      | Admission Date | 2026-03-02       | Admit/Discharge > Admit Time | 00:00      |
      | Admission Date | 2026-03-02T14:30 | Admit/Discharge > Admit Time | 14:30      |

  @REQ-PAT-14
  Scenario Outline: The Discharge/Transition Date reaches the RCM as soon as it is filled in
    Given a patient admitted through the EMR
    When the discharge date <discharge> is set for the patient in the EMR
    Then the RCM shows "<date>" at "Admit/Discharge > Discharge Date"
    And the RCM shows "<time>" at "Admit/Discharge > Discharge Time"

    Examples:
      | discharge        | date       | time  |
      | 2026-03-20       | 2026-03-20 | 00:00 |
      | 2026-03-20T10:15 | 2026-03-20 | 10:15 |

  @REQ-PAT-15
  Scenario: A diagnosis added in the EMR reaches the RCM's behavioral diagnoses at once
    Given a patient admitted through the EMR with diagnosis "F10.20"
    When diagnosis "F33.1" is added to the patient in the EMR
    Then the RCM's behavioral diagnoses are "F10.20, F33.1"
    And the RCM shows "F10.20" at "Behavioral Diagnoses > Admitting Diagnosis"
    And the RCM shows "F10.20" at "Behavioral Diagnoses > Principal Diagnosis"

  @REQ-PAT-15
  Scenario: A diagnosis marked principal in the EMR becomes the RCM's principal diagnosis
    Given a patient admitted through the EMR with diagnosis "F10.20"
    When diagnosis "F11.23" is added to the patient in the EMR as principal
    Then the RCM shows "F11.23" at "Behavioral Diagnoses > Principal Diagnosis"

  @REQ-PAT-16
  Scenario: Only the first 18 of 19 diagnoses are transmitted (AMB-02)
    Given a patient admitted through the EMR with diagnosis "F10.20"
    When these diagnoses are added to the patient in the EMR:
      | code    |
      | F10.21  |
      | F11.20  |
      | F11.23  |
      | F12.20  |
      | F13.20  |
      | F14.20  |
      | F15.20  |
      | F17.210 |
      | F19.20  |
      | F32.A   |
      | F33.1   |
      | F41.1   |
      | F43.10  |
      | F31.81  |
      | F90.0   |
      | F42.2   |
      | F40.10  |
      | F50.00  |
    Then the EMR patient has 19 diagnoses
    And the RCM has 18 behavioral diagnoses for the patient
    And the RCM's behavioral diagnoses do not include "F50.00"

  @REQ-PAT-17
  Scenario: Each diagnosis reaches the RCM with the date it was added in the EMR
    Given a patient admitted through the EMR with diagnosis "F10.20"
    When diagnosis "F43.10" is added to the patient in the EMR
    Then each RCM diagnosis start date is the date the EMR shows it was added

  @REQ-PAT-17 @needs-clock @needs-journal
  Scenario: The DG1 start date is the day the code was added, not the day it was sent
    Given the systems' date is 2026-03-02
    And a patient admitted through the EMR with diagnosis "F10.20"
    And the systems' date is 2026-03-05
    When diagnosis "F43.10" is added to the patient in the EMR
    Then the last HL7 message the RCM received has DG1 "F10.20" starting 20260302 and DG1 "F43.10" starting 20260305
    And the RCM shows diagnosis "F43.10" starting 2026-03-05

  @REQ-PAT-04
  Scenario: A change made only in the RCM is overwritten by the next send from the EMR
    Given a patient admitted through the EMR
    When the RCM patient's last name is changed to "Changed-In-RCM" in the RCM
    And "Send to Kipu RCM" is clicked for the patient
    Then the RCM patient's profile last name is the EMR's last name
    And the EMR patient's last name is unchanged
