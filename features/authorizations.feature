Feature: Authorizations table (RCM to EMR)
  Authorizations are entered in the RCM (through Manage Review) and flow to the EMR whenever they
  are saved in the RCM: the RCM is their source of truth. The EMR sets Managed itself and fills
  Days of Week from its own level-of-care configuration. Each Examples row is one row of the
  overview's Authorizations table.

  Background:
    Given the RCM's payer list has "Aetna" with payer ID "60054" and phone "800-872-3862"
    And the EMR's level of care "Residential" runs "sun, mon, tue, wed, thu, fri, sat"
    And the EMR's level of care "IOP" runs "mon, wed, fri"
    And a patient admitted through the EMR

  Scenario Outline: The RCM's U/R <rcm field> reaches the EMR's <emr field>
    When the RCM user saves this utilization review for the patient:
      | service     | start date | end date   | units | authorization number | status     | UM follow-up date | payer |
      | Residential | 2026-03-02 | 2026-03-08 | 7     | AUTH-1001            | Authorized | 2026-03-06        | Aetna |
    Then the EMR's utilization review shows "<emr value>" as "<emr field>"

    @REQ-AUTH-02
    Examples: Start Date
      | rcm field  | emr field  | emr value  |
      | Start Date | Start Date | 2026-03-02 |

    @REQ-AUTH-03
    Examples: End Date
      | rcm field | emr field | emr value  |
      | End Date  | End Date  | 2026-03-08 |

    @REQ-AUTH-04
    Examples: # of Days
      | rcm field | emr field | emr value |
      | Units     | # of Days | 7         |

    @REQ-AUTH-05
    Examples: Auth Date
      | rcm field  | emr field | emr value  |
      | Start Date | Auth Date | 2026-03-02 |

    @REQ-AUTH-06
    Examples: Authorization #
      | rcm field            | emr field       | emr value |
      | Authorization Number | Authorization # | AUTH-1001 |

    @REQ-AUTH-09
    Examples: Level of Care
      | rcm field | emr field     | emr value   |
      | Service   | Level of Care | Residential |

    @REQ-AUTH-10
    Examples: Next Review
      | rcm field         | emr field   | emr value  |
      | UM Follow-Up Date | Next Review | 2026-03-06 |

    @REQ-AUTH-11
    Examples: Days of Week
      | rcm field | emr field    | emr value                          |
      | (none)    | Days of Week | sun, mon, tue, wed, thu, fri, sat  |

    @REQ-AUTH-12
    Examples: Insurance
      | rcm field | emr field | emr value |
      | Payer     | Insurance | Aetna     |

  @REQ-AUTH-07 @REQ-AUTH-08
  Scenario Outline: The RCM status "<rcm status>" shows as "<emr status>", <managed>, in the EMR
    When the RCM user adds a U/R for "Residential" from 2026-03-02 to 2026-03-08 with 7 units, "<rcm status>"
    Then the EMR's utilization review shows "<emr status>" as "Status"
    And the EMR's utilization review shows "<managed>" as "Managed"

    Examples:
      | rcm status                | emr status              | managed    |
      | Authorized                | Approved                | Managed    |
      | Authorized - Not Required | Approved                | Nonmanaged |
      | Denied                    | Denied                  | Managed    |
      | Pending                   | Pending                 | Managed    |
      | Required - Not Obtained   | Required - Not Obtained | Managed    |
      | Not Required              | Not Required            | Nonmanaged |

  @REQ-AUTH-11
  Scenario: Days of Week come from the EMR's level of care, never from the RCM
    When the RCM user adds a U/R for "IOP" from 2026-03-02 to 2026-03-29 with 12 units, "Authorized"
    Then the EMR's utilization review shows "mon, wed, fri" as "Days of Week"

  @REQ-AUTH-11 @needs-outbox
  Scenario: The RCM's message to the EMR carries no days of the week
    When the RCM user adds a U/R for "IOP" from 2026-03-02 to 2026-03-29 with 12 units, "Authorized"
    Then the last message the RCM sent to the EMR has no days of the week

  @REQ-AUTH-01
  Scenario: A U/R change made only in the EMR is overwritten by the next RCM save
    Given the RCM user adds a U/R for "Residential" from 2026-03-02 to 2026-03-08 with 7 units, "Pending"
    When the EMR user changes the utilization review's authorization number to "EMR-ONLY-9" in the EMR
    Then the EMR's utilization review shows "EMR-ONLY-9" as "Authorization #"
    When the RCM user finalizes the U/R as "Authorized" with authorization number "AUTH-2002" and 7 units
    Then the EMR's utilization review shows "AUTH-2002" as "Authorization #"

  @REQ-AUTH-01
  Scenario: The next RCM save of any U/R field puts back the RCM's value of a field changed only in the EMR
    Given the RCM user adds a U/R for "Residential" from 2026-03-02 to 2026-03-08 with 7 units, "Authorized"
    And the EMR user changes the utilization review's authorization number to "EMR-ONLY-7" in the EMR
    When the RCM user changes the U/R's units to 10
    Then the EMR's utilization review shows "AUTH-0001" as "Authorization #"
    And the EMR's utilization review shows "10" as "# of Days"
    And the RCM's U/R authorization number is still "AUTH-0001"

  @REQ-AUTH-13
  Scenario: A standalone authorization for an ancillary service is added in the RCM
    When the RCM user adds a standalone authorization for "Psychiatric Evaluation 90792" from 2026-03-02 to 2026-03-31 with 1 units, "Authorized"
    Then the RCM holds a standalone authorization for "Psychiatric Evaluation 90792" for the patient
