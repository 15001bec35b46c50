*** Settings ***
Documentation       Connections, server information and background executions.
Library             robotlib.SandboxLibrary
Library             robotlib.JobLibrary
Suite Teardown      Close All Sandbox Connections


*** Test Cases ***
Connections Are Kept By Alias
    ${first}=    Connect To Sandbox    alias=first
    ${second}=    Connect To Sandbox    alias=second    timeout=30 s
    Should Not Be Equal    ${first}    ${second}
    ${previous}=    Switch Sandbox Connection    first
    Should Be Equal    ${previous}    ${second}
    ${result}=    Execute In Sandbox    echo through first
    Command Stdout Should Be    ${result}    0    through first
    Switch Sandbox Connection    ${second}
    Close All Sandbox Connections
    Run Keyword And Expect Error    Non-existing index or alias 'first'.
    ...    Switch Sandbox Connection    first

Keywords Connect On Their Own
    Close All Sandbox Connections
    ${result}=    Execute In Sandbox    true
    Execution Status Should Be    ${result}    OK

Server Information
    ${specs}=    Get Sandbox Specifications
    Should Be Equal    ${specs}[host][sandbox_version]    3.0.3
    Should Be True    ${specs}[container][count] > 0
    ${usage}=    Get Sandbox Usage
    Should Be True    isinstance($usage, dict)
    ${libraries}=    Get Sandbox Libraries
    Should Be True    isinstance($libraries, dict)

Background Executions Are Jobs
    ${job}=    Start In Sandbox    sleep 0.3    echo done
    ${result}=    Wait For Job    ${job}    timeout=30 s
    Job Should Have Succeeded    ${job}
    Command Stdout Should Be    ${job}    -1    done
    Command Stdout Should Be    ${result}    -1    done
    ${failing}=    Start In Sandbox    exit 3
    Wait For Job    ${failing}
    Job State Should Be    ${failing}    failed
    Execution Status Should Be    ${failing}    3

A Wait On A Background Execution Has A Deadline
    ${job}=    Start In Sandbox    sleep 3
    Run Keyword And Expect Error    waited 0.2 s for 1 job(s)*
    ...    Wait For Job    ${job}    timeout=0.2 s
    Run Keyword And Expect Error    sandbox job sandbox-* running has not finished; wait for it first
    ...    Command Stdout Should Be    ${job}    0    anything

The SANDBOX_URL Variable Points At Another Server
    [Documentation]    Nothing listens on the discard port; the error names the URL used.
    Set Test Variable    ${SANDBOX_URL}    http://127.0.0.1:9/prefix
    Connect To Sandbox    alias=elsewhere    timeout=2 s    retries=0
    Run Keyword And Expect Error
    ...    GET http://127.0.0.1:9/prefix/specifications/: cannot reach sandbox at http://127.0.0.1:9/prefix/*
    ...    Get Sandbox Specifications
    [Teardown]    Close All Sandbox Connections
