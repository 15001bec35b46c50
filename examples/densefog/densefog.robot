*** Settings ***
Documentation       densefog actions and the jobs they start. Without ${DENSEFOG_URL} an
...                 embedded densefog (with a private MariaDB for its job table) runs.
Library             robotlib.DensefogLibrary    timeout=1 min


*** Variables ***
${RUN}      ${{ __import__("uuid").uuid4().hex[:8] }}


*** Test Cases ***
Instances Become Active
    ${made}=    Create Densefog Resources    instance    count=${2}    name=web-${RUN}
    Wait For Densefog Resources    instance    ${made}[instanceIds]    status=active
    ${job}=    Get Densefog Job    ${made}
    Wait For Densefog Job    ${job}
    Densefog Job State Should Be    ${job}    finished

A Busy Instance Cannot Be Deleted
    ${made}=    Create Densefog Resources    instance    name=db-${RUN}
    Densefog Action Should Fail    4105    DeleteInstances    instanceIds=${made}[instanceIds]
    ...    message=*is busy now.
