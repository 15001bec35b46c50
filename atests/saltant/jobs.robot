*** Settings ***
Documentation       The job keywords SaltantLibrary shares with every backend.
Resource            saltant.resource
Suite Setup         Provision Sleeper


*** Test Cases ***
Task Instances Have The Shared Waits
    ${slow}=    Start Task Instance    sleeper    jobs    arguments=${{ {"seconds": 30} }}
    ${fast}=    Start Task Instance    sleeper    jobs    arguments=${{ {"seconds": 0} }}
    ${first}=    Wait For Any Task Instance    ${slow}    ${fast}
    Should Be Equal    ${first}    ${fast}
    Task Instance Should Have Succeeded    ${fast}
    ${state}=    Get Task Instance State    ${slow}
    Should Contain    ${{ ["pending", "running"] }}    ${state}
    ${count}=    Clean Up Leftover Task Instances
    Should Be Equal As Integers    ${count}    1

A Misspelt State Is An Error, Not A Failed Assertion
    ${job}=    Start Task Instance    sleeper    jobs    arguments=${{ {"seconds": 0} }}
    Wait For Task Instance    ${job}
    Run Keyword And Expect Error    unknown state 'succesful'*
    ...    Task Instance State Should Be    ${job}    succesful
