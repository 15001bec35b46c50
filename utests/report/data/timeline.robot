*** Settings ***
Documentation       Jobs whose timeline the library logs when each test ends: one that
...                 succeeds, one that fails and one the cleanup cancels.
Library             robotlib.SaltantLibrary    timeout=30 s
Suite Setup         Provision Sleeper


*** Variables ***
${SLEEPER}      ${CURDIR}/../../saltant/sleeper.py
${RUN}          ${{ __import__("uuid").uuid4().hex[:8] }}


*** Test Cases ***
Three Jobs End Three Ways
    ${ok}=    Start Task Instance    sleeper-${RUN}    timeline-${RUN}
    ...    arguments=${{ {"seconds": 0.3} }}    name=ok-${RUN}
    ${bad}=    Start Task Instance    sleeper-${RUN}    timeline-${RUN}
    ...    arguments=${{ {"seconds": 0.2, "exit_code": 3} }}    name=bad-${RUN}
    ${left}=    Start Task Instance    sleeper-${RUN}    timeline-${RUN}
    ...    arguments=${{ {"seconds": 60} }}    name=left-${RUN}
    Wait For Task Instances    ${ok}    ${bad}
    Wait Until Keyword Succeeds    20 s    0.1 s    Task Instance State Should Be    ${left}    running

A Test Without Jobs Logs No Timeline
    No Operation


*** Keywords ***
Provision Sleeper
    ${python}=    Evaluate    sys.executable    modules=sys
    Create Executable Task Type    sleeper-${RUN}    ${python} ${SLEEPER}
    ...    required_arguments=${{ ["seconds", "exit_code"] }}
    ...    defaults=${{ {"seconds": 0, "exit_code": 0} }}
    Create Task Whitelist    timeline-${RUN}    executable_task_types=${{ ["sleeper-${RUN}"] }}
    Create Task Queue    timeline-${RUN}    whitelists=${{ ["timeline-${RUN}"] }}
