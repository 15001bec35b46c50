*** Settings ***
Documentation       JobLibrary's backend-neutral keywords on jobs of different backends at once.
Library             robotlib.JobLibrary    timeout=30 s
Library             robotlib.SandboxLibrary
Library             robotlib.HarpLibrary    timeout=30 s
Suite Setup         Connect To Harp Dispatcher
Suite Teardown      Run Keywords    Close All Harp Connections    AND    Close All Sandbox Connections


*** Test Cases ***
States In Both Words
    ${call}=    Submit Harp Call    ping
    Wait For Job    ${call}
    ${state}=    Get Job State    ${call}
    Should Be Equal    ${state}    succeeded
    ${native}=    Get Job Native State    ${call}    refresh=False
    Should Be Equal    ${native}    result
    Job State Should Be    ${call}    SUCCEEDED
    Job State Should Be    ${call}    result

Wait For Any Job Returns The First To Finish
    ${slow}=    Submit Harp Call    sleep    ${20}
    ${quick}=    Start In Sandbox    echo quick
    ${first}=    Wait For Any Job    ${slow}    ${quick}    timeout=15 s
    Should Be Equal    ${first}    ${quick}
    ${state}=    Get Job State    ${slow}
    Should Be Equal    ${state}    running
    Cancel Job    ${slow}
    Job State Should Be    ${slow}    cancelled

Wait For Any Job Can Continue Without A Winner
    ${slow}=    Submit Harp Call    sleep    ${20}
    ${none}=    Wait For Any Job    ${slow}    timeout=0.2 s    on_timeout=continue
    Should Be Equal    ${none}    ${None}
    Job State Should Be    ${slow}    running

Failures Are Asserted Not Raised
    ${call}=    Submit Harp Call    fail    expected breakage
    ${sandbox}=    Start In Sandbox    echo out    false
    @{results}=    Wait For Jobs    ${call}    ${sandbox}
    Length Should Be    ${results}    2
    Job Should Have Failed    ${call}
    Job Should Have Failed    ${sandbox}
    Run Keyword And Expect Error    harp job * ended failed (native 'exception')*expected breakage*
    ...    Job Should Have Succeeded    ${call}
    ${result}=    Log Job Result    ${call}
    Should Be Equal    ${result.native_state}    exception

Output Of A Job
    ${call}=    Submit Harp Call    count    ${3}
    Wait For Job    ${call}
    ${output}=    Get Job Output    ${call}
    Should Be Equal    ${output}    {"i": 0}\n{"i": 1}\n{"i": 2}
    ${job}=    Start In Sandbox    echo first    echo second
    Wait For Job    ${job}
    ${output}=    Get Job Output    ${job}
    Should Be Equal    ${output}    first\nsecond

A Succeeded Job Is Not Failed
    ${job}=    Start In Sandbox    true
    Wait For Job    ${job}
    Run Keyword And Expect Error    expected sandbox job * to have failed, but it is succeeded*
    ...    Job Should Have Failed    ${job}

A Failure Explains Itself
    [Documentation]    The message names the job, its native state, exit code and output tail.
    ${job}=    Start In Sandbox    echo compiling    echo 'missing header' >&2; exit 3
    Wait For Job    ${job}
    ${message}=    Run Keyword And Expect Error    *
    ...    Job Should Have Succeeded    ${job}
    Should Start With    ${message}    sandbox job ${job.id} '
    Should Contain    ${message}    ended failed (native 'EXIT_3'), exit code 3
    Should Contain    ${message}    \n    compiling
    Should Contain    ${message}    \n    missing header
