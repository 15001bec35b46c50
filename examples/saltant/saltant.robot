*** Settings ***
Documentation       A task type, a whitelist, a queue and jobs on them. Without ${SALTANT_URL}
...                 an embedded saltant runs for this Robot process; against a real server,
...                 sleeper.py must exist at the same path on its workers. Names carry the
...                 run's id, so runs never meet on a server that keeps its state.
Library             robotlib.SaltantLibrary    timeout=1 min    cleanup=test
Suite Setup         Provision Sleeper


*** Variables ***
${RUN}      ${{ __import__("uuid").uuid4().hex[:8] }}


*** Test Cases ***
Sleeper Succeeds
    ${job}=    Start Task Instance    sleeper-${RUN}    jobs-${RUN}    seconds=1
    Wait For Task Instance    ${job}    timeout=30 s
    Task Instance State Should Be    ${job}    successful
    Task Instance Arguments Should Be    ${job}    seconds=1    exit_code=0

A Failing Task Is Assertable
    ${job}=    Start Task Instance    sleeper-${RUN}    jobs-${RUN}    exit_code=3
    Wait For Task Instance    ${job}    timeout=30 s
    Task Instance State Should Be    ${job}    failed


*** Keywords ***
Provision Sleeper
    ${python}=    Evaluate    sys.executable    modules=sys
    Create Executable Task Type    sleeper-${RUN}    ${python} ${CURDIR}/sleeper.py
    ...    required_arguments=${{ ["seconds", "exit_code"] }}
    ...    defaults=${{ {"seconds": 0, "exit_code": 0} }}
    Create Task Whitelist    sleepers-${RUN}    executable_task_types=${{ ["sleeper-" + $RUN] }}
    Create Task Queue    jobs-${RUN}    whitelists=${{ ["sleepers-" + $RUN] }}
