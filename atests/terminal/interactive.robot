*** Settings ***
Documentation       Interactive sessions: the read-until family, secrets typed, a REPL.
Resource            terminal.resource
Suite Setup         Run Keywords    Set Shell Dicts    AND    Set Target    ${SHELLDICTS}    name=node


*** Test Cases ***
Write And Read Until
    Open Interactive Session    node    alias=first
    Write    echo $((6 * 7)); echo done
    ${text}=    Read Until    done
    Should Be Equal    ${text}    42\ndone
    ${rest}=    Read Until Prompt    strip_prompt=${True}
    Should Be Equal    ${rest}    \n

The Session Lives On Into The Next Test
    Switch Interactive Session    first
    ${result}=    Execute Command In Session    cd /tmp && pwd
    Should Be Equal    ${result.stdout}    /tmp
    ${result}=    Execute Command In Session    false
    Should Be Equal    ${result.status}    1

Read Until The End Of 10000 Lines
    Write    seq 1 10000
    ${text}=    Read Until Regexp    (?m)^10000$
    Should End With    ${text}    9999\n10000
    Read Until Prompt

A Read Times Out Naming What It Waited For
    Write    echo partial
    Run Keyword And Expect Error    *'never' did not show within 0.3 s*partial*
    ...    Read Until    never    timeout=0.3 s

A Secret Answer Never Shows
    VAR    ${answer: Secret}    %{HOME}
    Open Interactive Session    node    alias=second
    Write    read -r answer; echo got=$answer
    Write Secret    ${answer}
    ${text}=    Read Until Prompt
    Should Contain    ${text}    got=***

A Python REPL With Its Own Prompt
    Write    python3 -q
    Set Session Prompt    >>> $
    Read Until Prompt
    ${result}=    Execute Command In Session    print(6 * 7)
    Should Be Equal    ${result.stdout}    42
    Write    exit()
    Set Session Prompt
    Read Until Prompt
