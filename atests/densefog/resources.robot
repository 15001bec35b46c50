*** Settings ***
Documentation       Resources: busy until their job ends, guarded while busy or deleted,
...                 deleted when the test that created them ends.
Resource            densefog.resource


*** Test Cases ***
Instances Become Active
    ${ids}=    Create Instances    ${2}
    ${statuses}=    Wait For Densefog Resources    instance    ${ids}    status=active
    Should Be Equal    ${statuses}[${ids}[0]]    active
    Densefog Resource Status Should Be    instance    ${ids}[1]    active

A Busy Instance Cannot Be Deleted
    ${ids}=    Create Instances
    ${error}=    Densefog Action Should Fail    4105    DeleteInstances    instanceIds=${ids}
    Should Match    ${error}[message]    Can not do action, because resource (*) is busy now.
    Wait For Densefog Resources    instance    @{ids}    status=active

A Deleted Instance Cannot Be Deleted Again
    ${ids}=    Create Instances
    Wait For Densefog Resources    instance    @{ids}    status=active
    Delete Densefog Resources    instance    @{ids}
    Wait For Densefog Resources    instance    @{ids}    status=deleted
    Densefog Action Should Fail    4105    DeleteInstances    instanceIds=${ids}
    ...    message=*is deleted.

A Wrong Final Status Fails The Wait
    ${ids}=    Create Instances
    Run Keyword And Expect Error    expected densefog instance(s) to become 'deleted': * active
    ...    Wait For Densefog Resources    instance    @{ids}    status=deleted

Leave Instances Behind
    ${ids}=    Create Instances    ${2}
    Set Suite Variable    ${LEFT}    ${ids}

The Previous Test's Instances Were Deleted
    Wait For Densefog Resources    instance    @{LEFT}    status=deleted

Instances Made By A Plain Call Can Be Tracked
    ${data}=    Call Densefog Action    CreateInstances    name=${RUN}-plain
    Track Densefog Resources    instance    ${data}[instanceIds]
    Set Suite Variable    ${TRACKED}    ${data}[instanceIds]

The Tracked Instances Were Deleted
    Wait For Densefog Resources    instance    @{TRACKED}    status=deleted
