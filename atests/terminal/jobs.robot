*** Settings ***
Documentation       Commands as jobs: the shared wait and state keywords, cleanup after a test.
Resource            terminal.resource
Library             robotlib.JobLibrary
Suite Setup         Run Keywords    Set Shell Dicts    AND    Set Target    ${SHELLDICTS}    name=node


*** Test Cases ***
Commands Are Jobs
    ${ok}=    Start Command In Target    sleep 0.2; echo done    target=node
    ${bad}=    Start Command In Target    exit 3    target=node
    @{results}=    Wait For Commands    ${ok}    ${bad}    timeout=10 s
    Should Be Equal    ${results[0].stdout}    done
    Should Be Equal    ${results[1].status}    3
    Command Should Have Succeeded    ${ok}
    Command State Should Be    ${bad}    failed
    Command State Should Be    ${bad}    exited
    Job Should Have Failed    ${bad}

A Command Can Be Cancelled
    ${job}=    Start Command In Target    sleep 60    target=node
    Cancel Command    ${job}
    Command State Should Be    ${job}    cancelled

A Test Leaves A Command Running
    # the run id in its command line: another run or user may be sleeping on the same target
    VAR    ${SLEEPER}    sleep 300 0.${{ int("${RUN}", 16) }}    scope=SUITE
    ${job}=    Start Command In Target    ${SLEEPER}    target=node    name=leftover-${RUN}
    VAR    ${LEFTOVER}    ${job}    scope=SUITE

The Command Was Killed When That Test Ended
    Command State Should Be    ${LEFTOVER}    cancelled    refresh=${False}
    Wait Until Keyword Succeeds    10 s    0.1 s    No Process Should Run    ^${SLEEPER}$


*** Keywords ***
No Process Should Run
    [Arguments]    ${pattern}
    ${result}=    Execute Command In Target    pgrep -f "${pattern}" || echo none    target=node
    Should Be Equal    ${result.stdout}    none
