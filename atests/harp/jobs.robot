*** Settings ***
Documentation       The job keywords HarpLibrary shares with every backend, cleaning up
...                 before the test ends, and connections of two kinds.
Resource            harp.resource


*** Test Cases ***
Harp Calls Have Their Own Waits
    ${slow}=    Submit Harp Call    sleep    ${30}
    ${fast}=    Submit Harp Call    ping
    @{values}=    Wait For Harp Calls    ${fast}
    Should Be Equal    ${values}[0]    pong
    ${first}=    Wait For Any Harp Call    ${slow}    ${fast}
    Should Be Equal    ${first}    ${fast}
    Harp Call State Should Be    ${fast}    succeeded
    ${state}=    Get Harp Call State    ${slow}
    Should Contain    ${{ ["pending", "running"] }}    ${state}

Leftovers Are Cleaned Up Before The Test Ends When Asked
    ${slow}=    Submit Harp Call    sleep    ${30}
    ${done}=    Submit Harp Call    ping
    Wait For Harp Call    ${done}
    ${count}=    Clean Up Leftover Harp Calls
    Should Be Equal As Integers    ${count}    1
    Harp Call State Should Be    ${slow}    cancelled
    Harp Call State Should Be    ${done}    succeeded

A Job Timeout Is The Dispatcher's Own Limit
    ${call}=    Submit Harp Call    sleep    ${30}    job_timeout=1 s
    Harp Call Should Raise    ${call}    timeout

Connections Of Two Kinds
    ${one}=    Connect To Harpd    alias=first
    ${two}=    Connect To Harpd    alias=second
    ${previous}=    Switch Harp Connection    first    kind=harpd
    Should Be Equal As Integers    ${previous}    ${two}
    ${pong}=    Call Harp Procedure    ping
    Should Be Equal    ${pong}    pong
    Connect To Harp Dispatcher    alias=main
    ${call}=    Submit Harp Call    ping    dispatcher=main
    Harp Result Should Be    ${call}    pong
