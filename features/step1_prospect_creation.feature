Feature: Step 1 - Prospect creation (CRM/EMR)
  Organizations using the CRM begin admissions by creating and managing prospects. The prospect
  is created in the RCM as a Prospective Patient at once; insurance and a Treatment Opportunity
  are added in the CRM, and the opportunity is pushed to the EMR when the prospect is ready to
  admit. The same process applies to pre-admitted patients created directly in the EMR.

  @REQ-WF-1.1 @REQ-WF-1.2 @REQ-SYS-01
  Scenario: A prospect created in the CRM becomes a Prospective Patient in the RCM
    When a prospect "Ana Maria Lopez" born 1990-04-02 is created in the CRM
    Then the CRM has the prospect "Ana Maria Lopez"
    And the RCM has exactly one patient for the prospect, with status "Prospective Patient"
    And the RCM patient's profile shows first name "Ana", last name "Lopez" and birthday 1990-04-02

  @REQ-WF-1.3
  Scenario: Insurance information and a Treatment Opportunity are added to the prospect
    Given a prospect "Ben Carter" in the CRM
    When insurance from payer "Aetna" with policy number "W123456789" is added to the prospect
    And a Treatment Opportunity for level of care "Residential" is created for the prospect
    Then the prospect carries insurance from payer "Aetna" with policy number "W123456789"
    And the prospect's Treatment Opportunity is "open" with level of care "Residential"

  @REQ-WF-1.4 @REQ-WF-2.1
  Scenario: A Treatment Opportunity pushed to the EMR arrives there pending
    Given a prospect "Cara Diaz" in the CRM with a Treatment Opportunity
    When the Treatment Opportunity is pushed to the EMR
    Then the prospect's Treatment Opportunity is "pushed" with level of care "Residential"
    And the EMR has a patient record for the prospect that is "pending"
    And the EMR patient has the prospect's name and date of birth

  @REQ-WF-1.5 @REQ-PROC-01
  Scenario: A pre-admitted patient created in the EMR becomes a Prospective Patient in the RCM
    When a pre-admitted patient "Dev Patel" born 1985-09-12 is created in the EMR
    Then the RCM has exactly one patient for the EMR patient, with status "Prospective Patient"
    And the RCM patient's profile shows first name "Dev", last name "Patel" and birthday 1985-09-12

  @REQ-SYS-05 @REQ-SYS-01
  Scenario: Pushing the same prospect twice keeps one linked record in each system
    Given a prospect "Eli Novak" in the CRM with a Treatment Opportunity
    When the Treatment Opportunity is pushed to the EMR
    And the Treatment Opportunity is pushed to the EMR again
    Then the EMR has exactly one patient record for the prospect
    And the RCM has exactly one patient for the prospect, with status "Prospective Patient"
