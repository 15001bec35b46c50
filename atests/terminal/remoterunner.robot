*** Settings ***
Documentation       A suite written for crl.interactivesessions' RemoteRunner: only its
...                 Library line (in terminal.resource) changed. Targets are set in each
...                 test's setup and reuse the open connection.
Resource            terminal.resource
Library             OperatingSystem
Suite Setup         Set Shell Dicts
Suite Teardown      Run Keywords    Remove Remote Files    AND    Close
Test Setup          Set Target    ${SHELLDICTS}    name=node


*** Test Cases ***
Execute Command In Target
    ${result}=    Execute Command In Target    echo foo; echo bar >&2    target=node
    Should Be Equal    ${result.status}    0
    Should Be Equal    ${result.stdout}    foo
    Should Be Equal    ${result.stderr}    bar

Commands Run In Bash And Keep Their Status
    ${status}    ${out}    ${err}=    Execute Command In Target    [[ -n $BASH_VERSION ]] && exit 4
    ...    target=node
    Should Be Equal    ${status}    4

Properties Of A Target
    Set Target Property    node    update_env_dict    ${{ {"GREETING": "hi"} }}
    ${result}=    Execute Command In Target    echo $GREETING    target=node
    Should Be Equal    ${result.stdout}    hi
    ${properties}=    Get Target Properties    node
    Should Be Equal    ${properties}[default_executable]    /bin/bash

Background Execution Killed With SIGTERM
    # the run id in its command line: another run or user may be sleeping on the same target
    VAR    ${sleeper}    sleep 60 0.${{ int("${RUN}", 16) }}
    Execute Background Command In Target    echo started; ${sleeper}    target=node    exec_id=sleeper
    Wait Until Keyword Succeeds    10 s    0.1 s    Command Should Run    ^${sleeper}$
    ${result}=    Kill Background Execution    sleeper
    Should Be Equal    ${result.status}    -15
    Should Be Equal    ${result.stdout}    started
    ${again}=    Wait Background Execution    sleeper
    Should Be Equal    ${again}    ${result}

Background Execution Waited For
    Execute Background Command In Target    echo one; echo two    target=node    exec_id=quick
    ${result}=    Wait Background Execution    quick    timeout=10 s
    Should Be Equal    ${result.stdout}    one\ntwo

Nohup Background Keeps Running
    ${pid}=    Execute Nohup Background In Target    sleep 60    target=node
    ${result}=    Execute Command In Target    kill -0 ${pid} && echo alive    target=node
    Should Be Equal    ${result.stdout}    alive
    Execute Command In Target    kill -- -${pid}    target=node

Copies To, From And Between Targets
    Create Directory In Target    ${REMOTE}/made    target=node
    Copy File To Target    ${CURDIR}/data/scripts/hello.sh    ${REMOTE}/bin/    target=node
    ${result}=    Execute Command In Target    ${REMOTE}/bin/hello.sh    target=node
    Should Be Equal    ${result.stdout}    hello from the script
    Copy Directory To Target    ${CURDIR}/data/scripts    ${REMOTE}/tree    target=node
    ${result}=    Execute Command In Target    cat ${REMOTE}/tree/sub/nested.txt    target=node
    Should Be Equal    ${result.stdout}    nested
    Copy File Between Targets    node    ${REMOTE}/bin/hello.sh    node    ${REMOTE}/copied
    Copy File From Target    ${REMOTE}/copied/hello.sh    ${OUTPUT DIR}/${RUN}/    target=node
    File Should Exist    ${OUTPUT DIR}/${RUN}/hello.sh

A Timeout Kills The Command
    Run Keyword And Expect Error    *did not end within 0.5 s*
    ...    Execute Command In Target    sleep 30    target=node    timeout=0.5 s


*** Keywords ***
Command Should Run
    [Arguments]    ${pattern}
    ${result}=    Execute Command In Target    pgrep -f "${pattern}" >/dev/null && echo running
    ...    target=node
    Should Be Equal    ${result.stdout}    running
