*** Settings ***
Documentation       densefog jobs with the shared job keywords: waits, states, native fields.
Resource            densefog.resource


*** Test Cases ***
A Create's Job Finishes
    ${made}=    Create Densefog Resources    instance    count=${1}    name=${RUN}-job
    ${job}=    Get Densefog Job    ${made}
    ${result}=    Wait For Densefog Job    ${job}
    Densefog Job State Should Be    ${job}    finished
    Densefog Job Should Have Succeeded    ${job}
    ${details}=    Get Densefog Job Details    ${job}
    Should Be Equal    ${details}[action]    CreateInstances
    Should Be Equal As Integers    ${details}[trys]    1
    Should Be Equal    ${details}[resource_ids]    ${made}[instanceIds]

A Failing Job Is Retried Then Fails
    ${job}=    Run Densefog Job    AlwaysFail    tryMax=${2}    tryPeriod=${1}
    Wait For Densefog Job    ${job}
    Densefog Job State Should Be    ${job}    error
    Densefog Job Should Have Failed    ${job}
    ${details}=    Get Densefog Job Details    ${job}
    Should Be Equal As Integers    ${details}[trys]    2
    Should Be Equal    ${details}[error]    always_fail boom (is_last_chance=True)

The Shared Waits Work On Densefog Jobs
    ${slow}=    Run Densefog Job    Sleepy    params=${{ {"seconds": 2} }}
    ${fast}=    Run Densefog Job    Echo    params=${{ {"n": 1} }}
    ${first}=    Wait For Any Densefog Job    ${slow}    ${fast}
    Should Be Equal    ${first}    ${fast}
    ${result}=    Wait For Job    ${fast}
    Should Be Equal As Integers    ${result.value}[n]    1
    ${state}=    Get Densefog Job Native State    ${slow}
    Should Contain    ${{ ["pending", "running"] }}    ${state}

A Densefog Job Cannot Be Cancelled
    ${job}=    Run Densefog Job    Echo
    Run Keyword And Expect Error    densefog has no way to cancel a job*    Cancel Densefog Job    ${job}
    Wait For Densefog Jobs    ${job}

A Misspelt State Is An Error, Not A Failed Assertion
    ${job}=    Run Densefog Job    Echo
    Wait For Densefog Job    ${job}
    Run Keyword And Expect Error    unknown state 'finised'*
    ...    Densefog Job State Should Be    ${job}    finised
