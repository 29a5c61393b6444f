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

  @REQ-SYS-03 @REQ-WF-5.4
  Scenario Outline: The EMR does not originate <what>, which the RCM owns: nothing is stored or sent
    Given a patient admitted through the EMR
    When the EMR is asked to write the patient's <what> directly
    Then the EMR refuses
    And neither the EMR nor the RCM holds any <what> for the patient

    Examples:
      | what               |
      | insurance          |
      | utilization review |
      | eligibility result |
      | claim              |

  @REQ-SYS-04
  Scenario Outline: The <system> offers no way to <change> a payer of the RCM's payer list
    Given the RCM user adds a new payer "Blue Harbor Health" with payer ID "BHH02"
    When the <system> is asked to <change> a payer, naming it "Harbor Point Health"
    Then the <system> refuses
    And the RCM's payer list has the new payer "Blue Harbor Health" and no payer "Harbor Point Health"

    Examples:
      | system | change |
      | CRM    | create |
      | CRM    | rename |
      | CRM    | delete |
      | EMR    | create |
      | EMR    | rename |
      | EMR    | delete |

  @REQ-SYS-05
  Scenario: Sending the same patient again and again never duplicates it in the RCM
    Given a patient admitted through the EMR
    When "Send to Kipu RCM" is clicked for the patient 3 times
    Then the RCM has exactly one patient for the EMR patient, with status "Admitted"
    And the RCM patient has 1 treatment episode
