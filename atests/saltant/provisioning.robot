*** Settings ***
Documentation       Connecting and provisioning: get-or-create semantics of types, whitelists, queues.
Resource            saltant.resource


*** Test Cases ***
Connect To The Embedded Server By Default
    ${index}=    Connect To Saltant    alias=first
    Should Be True    ${index} >= 1
    ${second}=    Connect To Saltant    alias=second
    ${previous}=    Switch Saltant Connection    first
    Should Be Equal As Integers    ${previous}    ${second}

A Task Type Is Created Once And Reused
    ${first}=    Provision Sleeper
    ${again}=    Provision Sleeper
    Should Be Equal    ${first.id}    ${again.id}
    Should Be Equal    ${again.required_arguments}    ${{ ["seconds", "exit_code"] }}

A Changed Definition Updates The Task Type
    ${type}=    Create Executable Task Type    changing-${RUN}    /bin/true    description=one
    ${updated}=    Create Executable Task Type    changing-${RUN}    /bin/true    description=two
    Should Be Equal    ${type.id}    ${updated.id}
    Should Be Equal    ${updated.description}    two

A Whitelist Gains Missing Types
    Create Executable Task Type    extra-one-${RUN}    /bin/true
    Create Executable Task Type    extra-two-${RUN}    /bin/true
    ${wl}=    Create Task Whitelist    extras-${RUN}    executable_task_types=${{ ["extra-one-${RUN}"] }}
    Length Should Be    ${wl.whitelisted_executable_task_types}    1
    ${wl}=    Create Task Whitelist    extras-${RUN}    executable_task_types=${{ ["extra-two-${RUN}"] }}
    Length Should Be    ${wl.whitelisted_executable_task_types}    2

A Queue Is Updated When It Differs
    Create Task Whitelist    for-queue-${RUN}
    ${queue}=    Create Task Queue    toggled-${RUN}    whitelists=${{ ["for-queue-${RUN}"] }}
    Should Be True    ${queue.active}
    ${queue}=    Create Task Queue    toggled-${RUN}    active=${False}
    Should Not Be True    ${queue.active}
    Length Should Be    ${queue.whitelists}    1

Closing Connections Reconnects On Next Use
    Close All Saltant Connections
    ${type}=    Provision Sleeper
    Should Be Equal    ${type.name}    sleeper
