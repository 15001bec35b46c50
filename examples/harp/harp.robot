*** Settings ***
Documentation       Calls through the harp dispatcher and straight to a harpd. Without
...                 ${HARP_DISPATCHER} / ${HARPD_URL} an embedded harpd and dispatcher run for
...                 this Robot process (the dispatcher knows the harpd as ``local``).
Library             robotlib.HarpLibrary    timeout=30 s


*** Test Cases ***
Adds Through The Dispatcher
    ${call}=    Submit Harp Call    add    ${2}    ${40}
    Harp Result Should Be    ${call}    {"sum": 42, "difference": -38}

Streams
    ${call}=    Submit Harp Call    count    ${3}    ${0.1}
    ${items}=    Follow Harp Stream    ${call}
    Length Should Be    ${items}    3

Failures Are Assertable
    ${call}=    Submit Harp Call    fail    bad thing
    Harp Call Should Raise    ${call}    ValueError    bad thing

Direct Call
    ${out}=    Call Harp Procedure    count    ${3}
    Should Be Equal    ${out.result}    ${{ {"count": 3} }}
