*** Settings ***
Documentation       Calls submitted through the dispatcher: results, failures, cancel, cleanup.
Resource            harp.resource
Suite Setup         Connect To Harp Dispatcher    alias=main


*** Test Cases ***
Submit And Check The Result
    ${call}=    Submit Harp Call    add    ${2}    ${40}
    ${value}=    Wait For Harp Call    ${call}
    Should Be Equal    ${value}[sum]    ${42}
    Harp Result Should Be    ${call}    {"sum": 42, "difference": -38}
    Job State Should Be    ${call}    succeeded

Named Arguments And Job Options
    ${queue}=    Create Dictionary    suite=dispatcher
    ${call}=    Submit Harp Call    add    a=${5}    b=${3}
    ...    queue=${queue}    concurrency=${1}    timeout=30 s    info=${{ {"ticket": 7} }}
    Harp Result Should Be    ${call}    {"sum": 8, "difference": 2}
    Should Be Equal    ${call.info()}    ${{ {"ticket": 7} }}
    Should Be Equal    ${call.host()}    local

Text Result
    ${call}=    Submit Harp Call    ping    dispatcher=main
    Harp Result Should Be    ${call}    pong

Remote Exception Is Visible
    ${call}=    Submit Harp Call    fail    bad thing
    Wait For Harp Call    ${call}
    Harp Call Should Raise    ${call}    ValueError    bad thing
    Job State Should Be    ${call}    failed
    Run Keyword And Expect Error    *remote exception ValueError: bad thing*
    ...    Harp Result Should Be    ${call}    anything

Unknown Host Is A Harp Error
    ${call}=    Submit Harp Call    ping    host=no-such-host
    Harp Call Should Raise    ${call}    unknown_host
    Job State Should Be    ${call}    error

Wrong Expectation Fails Clearly
    ${call}=    Submit Harp Call    ping
    Run Keyword And Expect Error    *returned 'pong', expected 'pang'*
    ...    Harp Result Should Be    ${call}    pang
    Run Keyword And Expect Error    *did not raise*
    ...    Harp Call Should Raise    ${call}    ValueError

Cancel A Running Call
    ${call}=    Submit Harp Call    sleep    ${30}
    ${stopped}=    Cancel Harp Call    ${call}
    Should Be True    ${stopped}
    Job State Should Be    ${call}    cancelled
    ${again}=    Cancel Harp Call    ${call}
    Should Not Be True    ${again}

Wait Timeout Can Cancel
    ${call}=    Submit Harp Call    sleep    ${30}
    Run Keyword And Expect Error    waited 0.3 s for 1 job(s); still unfinished (cancel requested): harp job *
    ...    Wait For Harp Call    ${call}    timeout=0.3 s    on_timeout=cancel
    Job State Should Be    ${call}    cancelled

Wait Timeout Can Continue
    ${call}=    Submit Harp Call    sleep    ${1}
    ${value}=    Wait For Harp Call    ${call}    timeout=0.1 s    on_timeout=continue
    Should Be Equal    ${value}    ${None}
    ${value}=    Wait For Harp Call    ${call}
    Should Be Equal As Numbers    ${value}    1

Works With The Generic Job Keywords
    ${first}=    Submit Harp Call    add    ${1}    ${1}
    ${second}=    Submit Harp Call    sleep    ${0.2}
    Wait For Jobs    ${first}    ${second}
    Job Should Have Succeeded    ${second}
    ${result}=    Get Job Result    ${first}
    Should Be Equal    ${result.native_state}    result

Leave A Call Running
    ${call}=    Submit Harp Call    sleep    ${60}
    Set Suite Variable    ${LEFT}    ${call}

The Previous Test's Call Was Cancelled
    Job State Should Be    ${LEFT}    cancelled

Reconnect After Closing All Connections
    Close All Harp Connections
    ${call}=    Submit Harp Call    ping
    Harp Result Should Be    ${call}    pong
