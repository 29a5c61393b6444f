Feature: Systems and ownership
  The CRM manages prospects before admission; the EMR manages demographics, clinical
  documentation and charges; the RCM is the single source of truth for insurance, eligibility,
  utilization review and billing, and the only place where payers are managed. One person is
  one linked record in each system.

  @REQ-SYS-02
  Scenario: Demographics are maintained in the EMR, and the RCM receives them from it
    Given a patient admitted through the EMR
    When the patient's address is changed to "7 Harbor Road", "Tampa", "FL", "33602" in the EMR
    And "Send to Kipu RCM" is clicked for the patient
    Then the RCM shows "7 Harbor Road" at "Treatment Episode > Intake > Patient Profile > Address"
    When the RCM patient's phone is changed to "512-555-0100" in the RCM
    Then the EMR patient's phone is not "512-555-0100"

  @REQ-SYS-03
  Scenario Outline: The EMR refuses to write <what>, which the RCM owns
    Given a patient admitted through the EMR
    When the EMR is asked to write the patient's <what> directly
    Then the EMR refuses with status 403, naming "<field>"

    Examples:
      | what                | field              |
      | insurance           | insurance          |
      | utilization review  | utilization_review |

  @REQ-SYS-04
  Scenario Outline: Payers cannot be created in the <system>
    When the <system> is asked to create a payer named "Blue Harbor Health"
    Then the <system> refuses with status 403, naming "<field>"

    Examples:
      | system | field |
      | CRM    | payer |
      | EMR    | payor |

  @REQ-SYS-05
  Scenario: Sending the same patient again and again never duplicates it in the RCM
    Given a patient admitted through the EMR
    When "Send to Kipu RCM" is clicked for the patient 3 times
    Then the RCM has exactly one patient for the EMR patient, with status "Admitted"
    And the RCM patient has 1 treatment episode
