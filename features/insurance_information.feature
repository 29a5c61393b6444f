Feature: Insurance table (RCM to EMR)
  Insurance is entered in the RCM (through Manage Insurance) and flows to the EMR whenever it is
  saved in the RCM: the RCM is its source of truth. Subscriber SSN and address are the EMR's own:
  filled from the patient for Self, N/A otherwise. Each Examples row is one row of the overview's
  Insurance table.

  Background:
    Given the RCM's payer list has "Aetna" with payer ID "60054" and phone "800-872-3862"
    And a patient admitted through the EMR

  Scenario Outline: The RCM's <rcm field> reaches the EMR's <emr field>
    When the RCM user saves this "primary" insurance for the patient:
      | payer | insurance ID | plan name        | effective date | relationship | subscriber   | birthday   | gender |
      | Aetna | W123456789   | Open Access Plus | 2026-01-01     | Spouse       | Maria Okafor | 1980-05-17 | Female |
    Then the EMR's "Primary" insurance shows "<emr value>" as "<emr field>"

    @REQ-INS-02 @REQ-INS-03
    Examples: Company
      | rcm field | emr field | emr value |
      | Payer     | Company   | Aetna     |

    @REQ-INS-04
    Examples: Policy No.
      | rcm field                    | emr field  | emr value  |
      | Policy Holder > Insurance ID | Policy No. | W123456789 |

    @REQ-INS-05
    Examples: Plan Name
      | rcm field                 | emr field | emr value        |
      | Policy Holder > Plan Name | Plan Name | Open Access Plus |

    @REQ-INS-06
    Examples: Effective Date
      | rcm field      | emr field      | emr value  |
      | Effective Date | Effective Date | 2026-01-01 |

    @REQ-INS-07
    Examples: Insurance Priority
      | rcm field | emr field          | emr value |
      | Primary   | Insurance Priority | Primary   |

    @REQ-INS-08
    Examples: Phone
      | rcm field           | emr field | emr value    |
      | Payer > Payer Phone | Phone     | 800-872-3862 |

    @REQ-INS-09
    Examples: Subscriber
      | rcm field                                     | emr field  | emr value    |
      | Policy Holder > Subscriber First and Last Name | Subscriber | Maria Okafor |

    @REQ-INS-10
    Examples: Relationship
      | rcm field                                     | emr field    | emr value |
      | Policy Holder > Patient Relationship to Insured | Relationship | Spouse    |

    @REQ-INS-11
    Examples: SSN (Subscriber), not Self
      | rcm field | emr field        | emr value |
      | (none)    | SSN (Subscriber) | N/A       |

    @REQ-INS-12
    Examples: DOB (Subscriber)
      | rcm field                           | emr field        | emr value  |
      | Policy Holder > Subscriber Birthday | DOB (Subscriber) | 1980-05-17 |

    @REQ-INS-13
    Examples: Gender (Subscriber)
      | rcm field                         | emr field           | emr value |
      | Policy Holder > Subscriber Gender | Gender (Subscriber) | Female    |

    @REQ-INS-14
    Examples: Subscriber Address, not Self
      | rcm field | emr field          | emr value |
      | (none)    | Subscriber Address | N/A       |

  @REQ-INS-07 @REQ-INS-03 @REQ-INS-04
  Scenario: Each rank of the Insurance Set reaches the EMR with its own payer and policy
    Given the RCM's payer list has "Cigna" with payer ID "62308" and phone "800-997-1654"
    And the RCM's payer list has "Humana" with payer ID "61101" and phone "800-457-4708"
    When the RCM user adds a "primary" insurance with payer "Aetna" for the patient as "Self"
    And the RCM user adds a "secondary" insurance with payer "Cigna" for the patient as "Spouse"
    And the RCM user adds a "tertiary" insurance with payer "Humana" for the patient as "Other"
    Then the EMR's "Primary" insurance shows "Aetna" as "Company"
    And the EMR's "Secondary" insurance shows "Cigna" as "Company"
    And the EMR's "Tertiary" insurance shows "Humana" as "Company"
    And the EMR's "Primary" insurance shows "(the RCM's insurance ID)" as "Policy No."
    And the EMR's "Secondary" insurance shows "(the RCM's insurance ID)" as "Policy No."
    And the EMR's "Tertiary" insurance shows "(the RCM's insurance ID)" as "Policy No."

  @REQ-INS-11 @REQ-INS-14
  Scenario Outline: For Self, the EMR fills the subscriber's <emr field> from the patient
    When the RCM user adds a "primary" insurance with payer "Aetna" for the patient as "Self"
    Then the EMR's "Primary" insurance shows "<emr value>" as "<emr field>"
    And the RCM's "primary" policy holder has the patient's <emr field>

    Examples:
      | emr field          | emr value                 |
      | SSN (Subscriber)   | (the patient's SSN)       |
      | Subscriber Address | (the patient's address)   |

  @REQ-INS-11 @REQ-INS-14
  Scenario: For Self, the subscriber SSN and address are the EMR's: a change there reaches the RCM with Send to Kipu RCM
    Given the RCM user adds a "primary" insurance with payer "Aetna" for the patient as "Self"
    And the patient's SSN is "123-45-6780" in the EMR
    And the patient's Address is "9 Quarry Lane" in the EMR
    Then the EMR's "Primary" insurance shows "123-45-6780" as "SSN (Subscriber)"
    And the RCM's "primary" policy holder SSN is not "123-45-6780"
    When "Send to Kipu RCM" is clicked for the patient
    Then the RCM's "primary" policy holder has the patient's SSN (Subscriber)
    And the RCM's "primary" policy holder has the patient's Subscriber Address
    And the EMR's "Primary" insurance shows "(the patient's address)" as "Subscriber Address"

  @REQ-INS-13 @REQ-PAT-09
  Scenario: For Self, the policy holder's gender is the patient's Birth Sex from the EMR (AMB-03)
    When the RCM user adds a "primary" insurance with payer "Aetna" for the patient as "Self"
    Then the EMR's "Primary" insurance shows "(the patient's birth sex)" as "Gender (Subscriber)"

  @REQ-INS-02
  Scenario: A change saved in the RCM is sent to the EMR
    Given the RCM user adds a "primary" insurance with payer "Aetna" for the patient as "Spouse"
    When the RCM user changes the "primary" insurance's plan name to "Choice POS II"
    Then the EMR's "Primary" insurance shows "Choice POS II" as "Plan Name"

  @REQ-INS-15 @REQ-SYS-03
  Scenario: An insurance change made only in the EMR stays there, and the next RCM save overwrites it
    Given the RCM user adds a "primary" insurance with payer "Aetna" for the patient as "Spouse"
    When the EMR user changes the "Primary" insurance's policy number to "EMR-ONLY-1" in the EMR
    Then the EMR's "Primary" insurance shows "EMR-ONLY-1" as "Policy No."
    And the RCM's "primary" insurance ID is not "EMR-ONLY-1"
    When the RCM user changes the "primary" insurance's plan name to "Choice POS II"
    Then the EMR's "Primary" insurance shows "(the RCM's insurance ID)" as "Policy No."
