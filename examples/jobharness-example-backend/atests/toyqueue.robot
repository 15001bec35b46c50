*** Settings ***
Documentation     toyqueue through jobharness's shared keywords, on an embedded server.
Library           jobharness_toyqueue.robot.ToyQueueLibrary    timeout=30 s
Library           robotlib.JobLibrary


*** Test Cases ***
A Job Succeeds With Its Output
    ${job}=    Start Toy Job    ${PYTHON}    -c    print('hello from toyqueue')
    ${result}=    Wait For Toy Job    ${job}
    Toy Job Should Have Succeeded    ${job}
    Should Contain    ${result.output}    hello from toyqueue

A Failed Job Says Why
    ${job}=    Start Toy Job    ${PYTHON}    -c    import sys; sys.exit(3)    name=failing
    Wait For Toy Job    ${job}
    Run Keyword And Expect Error    *exit code 3*    Toy Job Should Have Succeeded    ${job}

Each Job Carries The Run Id In Its Own Name
    ${run}=    Get Run Id
    ${a}=    Start Toy Job    ${PYTHON}    -c    pass
    ${b}=    Start Toy Job    ${PYTHON}    -c    pass
    Should Not Be Equal    ${a.name}    ${b.name}
    Should Contain    ${a.name}    @${run}/
    Should Contain    ${b.name}    @${run}/
    Wait For Toy Jobs    ${a}    ${b}

A Job Left Running Is Cancelled When Its Test Ends
    ${job}=    Start Toy Job    ${PYTHON}    -c    import time; time.sleep(120)
    Set Suite Variable    ${LEFT}    ${job}

The Job Left Running Was Cancelled
    Wait For Toy Job    ${LEFT}    timeout=10 s    on_timeout=continue
    Should Be Equal    ${LEFT.refresh().value}    cancelled


*** Variables ***
${PYTHON}    python3
