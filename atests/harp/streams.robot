*** Settings ***
Documentation       Streams of dispatcher calls: followed live or read as stored.
Resource            harp.resource


*** Test Cases ***
Follow A Whole Stream
    ${call}=    Submit Harp Call    count    ${5}    ${0.02}
    ${items}=    Follow Harp Stream    ${call}
    Length Should Be    ${items}    5
    Should Be Equal    ${items}[4]    ${{ {"i": 4} }}
    Harp Result Should Be    ${call}    {"count": 5}

Follow Numbered Without Logging
    ${call}=    Submit Harp Call    count    ${3}
    ${items}=    Follow Harp Stream    ${call}    log=False    numbered=True
    Should Be Equal    ${items}    ${{ [[0, {"i": 0}], [1, {"i": 1}], [2, {"i": 2}]] }}

Follow The Most Recent Packets
    ${call}=    Submit Harp Call    count    ${6}
    Wait For Harp Call    ${call}
    ${items}=    Follow Harp Stream    ${call}    recent=${2}    numbered=True
    Should Be Equal    ${items}    ${{ [[4, {"i": 4}], [5, {"i": 5}]] }}

Get The Stored Stream
    ${call}=    Submit Harp Call    count    ${4}
    Wait For Harp Call    ${call}
    ${items}=    Get Harp Stream    ${call}
    Length Should Be    ${items}    4
    ${tail}=    Get Harp Stream    ${call}    since=${2}    numbered=True
    Should Be Equal    ${tail}    ${{ [[2, {"i": 2}], [3, {"i": 3}]] }}

Stream Ending In An Exception
    ${call}=    Submit Harp Call    fail_after    ${2}
    ${items}=    Follow Harp Stream    ${call}
    Should Be Equal    ${items}    ${{ [0, 1] }}
    Harp Call Should Raise    ${call}    RuntimeError    failed after 2 packets

Following Past The Timeout Fails
    ${call}=    Submit Harp Call    count    ${100}    ${0.2}
    Run Keyword And Expect Error    *without reaching its end*
    ...    Follow Harp Stream    ${call}    timeout=0.5 s    log=False
