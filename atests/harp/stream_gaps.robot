*** Settings ***
Documentation       A dispatcher that loses a live packet on every follow connection and cuts
...                 them (the embedded one with --fault skip-follow-packet and
...                 cut-follow-after): following still gives every packet once, in order.
Resource            harp.resource
Library             FaultyHarpDispatcher.py
Suite Setup         Connect To A Racy Dispatcher
Suite Teardown      Close All Harp Connections


*** Variables ***
${PACKETS}      ${10000}


*** Test Cases ***
Follow A Long Live Stream Through Skipped Packets And Cuts
    ${call}=    Submit Harp Call    count    ${PACKETS}    dispatcher=racy
    ${items}=    Follow Harp Stream    ${call}    log=False    numbered=True    timeout=120 s
    ${expected}=    Evaluate    [[n, {"i": n}] for n in range(${PACKETS})]
    Should Be True    $items == $expected    the stream has gaps, repeats or is out of order
    Harp Result Should Be    ${call}    {"count": ${PACKETS}}

Follow From The Most Recent Packets Of A Live Stream
    ${call}=    Submit Harp Call    count    ${200}    ${0.005}    dispatcher=racy
    Wait Until Keyword Succeeds    10 s    0.05 s    Stream Should Have Packets    ${call}    ${20}
    ${items}=    Follow Harp Stream    ${call}    since=${None}    recent=${5}    numbered=True
    ...    log=False
    ${numbers}=    Evaluate    [number for number, _ in $items]
    ${first}=    Set Variable    ${numbers}[0]
    Should Be Equal    ${numbers}    ${{ list(range($first, 200)) }}
    Harp Result Should Be    ${call}    {"count": 200}


*** Keywords ***
Connect To A Racy Dispatcher
    ${address}=    Start Faulty Harp Dispatcher    skip-follow-packet    cut-follow-after=700
    Connect To Harp Dispatcher    ${address}    alias=racy

Stream Should Have Packets
    [Arguments]    ${call}    ${count}
    ${stored}=    Get Harp Stream    ${call}
    Should Be True    len($stored) >= ${count}
