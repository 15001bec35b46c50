*** Settings ***
Documentation       Starting, waiting for, asserting on, cloning and terminating task instances.
Resource            saltant.resource
Suite Setup         Provision Sleeper


*** Test Cases ***
A Task Instance Succeeds
    ${job}=    Start Task Instance    sleeper    jobs    arguments=${{ {"seconds": 0.2} }}
    ${result}=    Wait For Task Instance    ${job}    timeout=30 s
    Should Be True    ${result.ok}
    Task Instance State Should Be    ${job}    successful
    Task Instance State Should Be    ${job}    succeeded    refresh=${False}
    Task Instance Arguments Should Be    ${job}    seconds=0.2    exit_code=0
    ${run}=    Get Run Id
    Should Contain    ${job.name}    sleeper@${run}/robot-
    ${output}=    Get Job Output    ${job}
    Should Be Equal    ${output}    stdout:\nslept 0.2 s

A Failing Task Instance
    ${job}=    Start Task Instance    sleeper    jobs    name=failing
    ...    arguments=${{ {"exit_code": 3} }}
    Wait For Task Instance    ${job}
    Task Instance State Should Be    ${job}    failed
    Run Keyword And Expect Error    *expected state 'successful', got 'failed'*
    ...    Task Instance State Should Be    ${job}    successful
    Run Keyword And Expect Error    *expected arguments*
    ...    Task Instance Arguments Should Be    ${job}    exit_code=4

Arguments As Free Named Arguments
    ${job}=    Start Task Instance    sleeper    jobs    seconds=0    exit_code=0
    Wait For Job    ${job}
    Job State Should Be    ${job}    succeeded
    Task Instance Arguments Should Be    ${job}    ${{ {"seconds": "0", "exit_code": "0"} }}

Get And Clone A Task Instance
    ${job}=    Start Task Instance    sleeper    jobs    arguments=${{ {"seconds": 0} }}
    ${copy}=    Clone Task Instance    ${job}
    Should Not Be Equal    ${copy.id}    ${job.id}
    Wait For Task Instances    ${job}    ${copy}
    ${fetched}=    Get Task Instance    ${copy.id}
    Task Instance State Should Be    ${fetched}    successful
    Task Instance Arguments Should Be    ${fetched}    ${{ {"seconds": 0, "exit_code": 0} }}
    ${same}=    Get Task Instance    ${job}
    Should Be Equal    ${same.native_state}    successful

Terminate A Task Instance
    ${job}=    Start Task Instance    sleeper    jobs    arguments=${{ {"seconds": 60} }}
    Terminate Task Instance    ${job}
    ${result}=    Wait For Task Instance    ${job}    timeout=30 s
    Task Instance State Should Be    ${job}    terminated
    Task Instance State Should Be    ${job}    cancelled
    Should Be Equal    ${result.details}[datetime_finished]    ${None}
    Terminate Task Instance    ${job}

Wait For Many Task Instances At Once
    @{jobs}=    Create List
    FOR    ${seconds}    IN    0    0.3    0.6    0.9
        ${job}=    Start Task Instance    sleeper    jobs    arguments=${{ {"seconds": ${seconds}} }}
        Append To List    ${jobs}    ${job}
    END
    @{results}=    Wait For Task Instances    @{jobs}    timeout=30 s    poll=0.2 s
    Length Should Be    ${results}    4
    FOR    ${result}    IN    @{results}
        Should Be Equal    ${result.native_state}    successful
    END

A Wait That Runs Out Fails With The Last State
    ${job}=    Start Task Instance    sleeper    jobs    arguments=${{ {"seconds": 60} }}
    Run Keyword And Expect Error    waited 0.5 s for 1 job(s)*${job.id}*
    ...    Wait For Task Instance    ${job}    timeout=0.5 s

A Wait That Runs Out Can Continue
    ${job}=    Start Task Instance    sleeper    jobs    arguments=${{ {"seconds": 60} }}
    ${result}=    Wait For Task Instance    ${job}    timeout=0.5 s    on_timeout=continue
    Should Not Be True    ${result.state.is_final}
    Terminate Task Instance    ${job}

A Wait That Runs Out Can Terminate
    ${job}=    Start Task Instance    sleeper    jobs    arguments=${{ {"seconds": 60} }}
    Run Keyword And Expect Error    *cancel requested*
    ...    Wait For Task Instance    ${job}    timeout=0.5 s    on_timeout=terminate
    Wait For Task Instance    ${job}
    Task Instance State Should Be    ${job}    terminated
