*** Settings ***
Documentation       Background executions with the sandbox library's own job keywords, and
...                 the older argument spellings that still work.
Library             robotlib.SandboxLibrary    timeout=30 s    request_timeout=30 s


*** Test Cases ***
Sandbox Jobs Have Their Own Waits And Assertions
    ${ok}=    Start In Sandbox    echo done
    ${bad}=    Start In Sandbox    exit 3
    @{results}=    Wait For Sandbox Jobs    ${ok}    ${bad}
    Length Should Be    ${results}    2
    Sandbox Job Should Have Succeeded    ${ok}
    Sandbox Job Should Have Failed    ${bad}
    Sandbox Job State Should Be    ${bad}    failed
    ${native}=    Get Sandbox Job Native State    ${bad}    refresh=${False}
    Should Be Equal    ${native}    EXIT_3
    ${output}=    Get Sandbox Job Output    ${ok}
    Should Be Equal    ${output}    done

Wait For Any Sandbox Job Returns The First To End
    ${slow}=    Start In Sandbox    sleep 3
    ${fast}=    Start In Sandbox    true
    ${first}=    Wait For Any Sandbox Job    ${slow}    ${fast}
    Should Be Equal    ${first}    ${fast}
    Wait For Sandbox Job    ${slow}    # the sandbox cannot stop it: a leftover would be a warning

Command Timeout Is The Sandbox's Own Limit
    ${result}=    Execute In Sandbox    sleep 5    command_timeout=0.5 s
    Execution Status Should Be    ${result}    TIMEOUT

The Older Spelling Of The Command Timeout Still Works
    ${result}=    Execute In Sandbox    sleep 5    timeout=0.5 s
    Execution Status Should Be    ${result}    TIMEOUT

A Request Timeout Ends The Keyword
    Run Keyword And Expect Error    *did not answer within 0.3 s*
    ...    Execute In Sandbox    sleep 2    request_timeout=0.3 s

Something That Is Not A Job Is A Clear Error
    Run Keyword And Expect Error    expected a Sandbox Job handle*got str 'nope'
    ...    Wait For Sandbox Job    nope
