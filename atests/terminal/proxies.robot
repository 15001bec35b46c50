*** Settings ***
Documentation       Remote Python in a target: crl's RemoteRunner proxy keywords by the same
...                 names, Python run in the target, proxy methods (also ${proxy.method()}),
...                 calls started as jobs, and commands and copies through the agent.
Resource            terminal.resource
Library             OperatingSystem
Library             robotlib.JobLibrary
Suite Setup         Set Shell Dicts
Suite Teardown      Run Keywords    Remove Remote Files    AND    Close
Test Setup          Set Target    ${SHELLDICTS}    name=node


*** Variables ***
${MODULE}       ${CURDIR}/data/modules/jh_remote_helpers.py


*** Test Cases ***
Run Python In The Target
    ${terminal}=    Get Terminal    node
    ${value}=    Run Python In Terminal    ${terminal}    x = 20${\n}x + 22
    Should Be Equal As Integers    ${value}    42
    ${pid}=    Run Python In Terminal    node    import os; os.getpid()
    Should Be Equal    ${pid}    ${terminal.run_python('os.getpid()')}
    ${out}=    Execute Command In Target    echo $$    target=node
    Should Not Be Equal As Integers    ${pid}    ${out.stdout}

Proxy Of A Named Object And Extended Variable Syntax
    ${terminal}=    Get Terminal    node
    Import Libraries In Terminal    ${terminal}    os
    ${os}=    Get Proxy Object In Terminal    ${terminal}    os
    ${joined}=    Call Proxy Method    ${os.path}    join    a    b
    Should Be Equal    ${joined}    a/b
    Should Be Equal    ${os.path.join('x', 'y')}    x/y
    Should Be Equal    ${os.getcwd()}    ${terminal.run_python('os.getcwd()')}

Proxy From A Call Keeps Remote State
    ${terminal}=    Get Terminal    node
    Import Local Path Module In Terminal    ${terminal}    ${MODULE}
    ${counter}=    Get Proxy From Call In Terminal    ${terminal}    jh_remote_helpers.Counter
    ...    start=${40}
    ${one}=    Call Proxy Method    ${counter}    add
    Should Be Equal As Integers    ${one}    41
    Should Be Equal As Integers    ${counter.add(1)}    42
    ${where}=    Get Proxy From Call In Terminal    ${terminal}    jh_remote_helpers.where
    Should Be Equal    ${where.as_local_value()}[pid]    ${terminal.run_python('os.getpid()')}
    VAR    ${COUNTER}    ${counter}    scope=SUITE

Proxies Of The Previous Test Were Released
    [Documentation]    Runs after the test above: its counter proxy was released when it ended.
    Run Keyword And Expect Error    *was released*    Call Proxy Method    ${COUNTER}    add
    ${terminal}=    Get Terminal    node
    ${left}=    Run Python In Terminal    ${terminal}
    ...    import gc; gc.collect(); sum(type(o).__name__ == 'Counter' for o in gc.get_objects())
    Should Be Equal As Integers    ${left}    0

A Remote Error Fails With Its Type And Message
    ${terminal}=    Get Terminal    node
    Import Local Path Module In Terminal    ${terminal}    ${MODULE}
    Run Keyword And Expect Error    *KeyError*no such thing*
    ...    Run Python In Terminal    ${terminal}    jh_remote_helpers.fail('no such thing')

An Asynchronous Call Is A Job
    ${terminal}=    Get Terminal    node
    ${call}=    Start Python In Terminal    ${terminal}    import time; time.sleep(0.3); 'slept'
    ${value}=    Get Call Result    ${call}    timeout=20 s
    Should Be Equal    ${value}    slept
    Job State Should Be    ${call}    succeeded
    ${sleeper}=    Start Call In Terminal    ${terminal}    time.sleep    ${30}
    Run Keyword And Expect Error    no reply to *yet*    Get Call Result    ${sleeper}    timeout=0.2 s
    Cancel Job    ${sleeper}
    Job State Should Be    ${sleeper}    cancelled

Commands And Copies Through The Agent
    Set Target Property    node    through_agent    ${True}
    ${result}=    Execute Command In Target    echo foo; echo bar >&2; exit 3    target=node
    Should Be Equal As Integers    ${result.status}    3
    Should Be Equal    ${result.stdout}    foo
    Should Be Equal    ${result.stderr}    bar
    ${payload}=    Evaluate    os.urandom(300000)
    Create Binary File    ${OUTPUT DIR}/agent-${RUN}.bin    ${payload}
    Create Directory In Target    ${REMOTE}    target=node
    Copy File To Target    ${OUTPUT DIR}/agent-${RUN}.bin    ${REMOTE}/    target=node
    Copy File From Target    ${REMOTE}/agent-${RUN}.bin    ${OUTPUT DIR}/back-${RUN}.bin    target=node
    ${back}=    Get Binary File    ${OUTPUT DIR}/back-${RUN}.bin
    Should Be Equal    ${back}    ${payload}
    [Teardown]    Set Target Property    node    through_agent    ${False}
