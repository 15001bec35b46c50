*** Settings ***
Documentation       Direct calls on harpd over TLS.
Resource            harp.resource
Suite Setup         Connect To Harpd    alias=embedded


*** Test Cases ***
Plain Procedure Returns Its Value
    ${sum}=    Call Harp Procedure    add    ${2}    ${40}
    Should Be Equal    ${sum}    ${{ {"sum": 42, "difference": -38} }}
    ${pong}=    Call Harp Procedure    ping    connection=embedded
    Should Be Equal    ${pong}    pong

Named Arguments
    ${sum}=    Call Harp Procedure    add    a=${1}    b=${2}
    Should Be Equal    ${sum}[sum]    ${3}

Streaming Procedure Returns Values And Result
    ${out}=    Call Harp Procedure    count    ${3}
    Should Be Equal    ${out.values}    ${{ [{"i": 0}, {"i": 1}, {"i": 2}] }}
    Should Be Equal    ${out.result}    ${{ {"count": 3} }}

Procedure Exception Fails The Keyword
    Run Keyword And Expect Error    *remote exception ValueError: bad thing*
    ...    Call Harp Procedure    fail    bad thing

Harpd Errors Fail The Keyword
    Run Keyword And Expect Error    *remote error no_such_procedure*
    ...    Call Harp Procedure    no_such_procedure
    Run Keyword And Expect Error    *remote error timeout*
    ...    Call Harp Procedure    slow    ${5}

Mixed Arguments Are Refused
    Run Keyword And Expect Error    *positional or keyword arguments, not both*
    ...    Call Harp Procedure    add    ${1}    b=${2}

Unverified TLS Must Be Asked For
    Connect To Harpd    verify=False    alias=unverified
    ${pong}=    Call Harp Procedure    ping    connection=unverified
    Should Be Equal    ${pong}    pong
