*** Settings ***
Documentation       Task instances a test leaves unfinished are terminated when it ends.
Resource            saltant.resource
Suite Setup         Provision Sleeper


*** Test Cases ***
Leave A Task Instance Running
    ${job}=    Start Task Instance    sleeper    jobs    arguments=${{ {"seconds": 60} }}
    Set Suite Variable    ${LEFT}    ${job}

The Previous Test's Instance Was Terminated
    ${job}=    Get Task Instance    ${LEFT.id}
    Wait For Task Instance    ${job}
    Task Instance State Should Be    ${job}    terminated
