*** Settings ***
Documentation       Actions, their envelope, and the error codes a test asserts on.
Resource            densefog.resource


*** Test Cases ***
An Action Returns Its Data
    ${data}=    Call Densefog Action    Ping    note=${RUN}    params=${{ {"n": 2} }}
    Should Be Equal    ${data}[echo][note]    ${RUN}
    Should Be Equal As Integers    ${data}[echo][n]    2

The Service Answers Its Banner
    ${banner}=    Get Densefog Banner
    Should Be Equal    ${banner}    It's DenseFog API service.

An Unknown Action Is 4000
    ${error}=    Densefog Action Should Fail    4000    NoSuchAction${RUN}
    Should Be Equal    ${error}[message]    Unknow action NoSuchAction${RUN}.
    Should Start With    ${error}[exceptionTag]    ctx-

A Missing Resource Is 4104 With Its Id
    ${error}=    Densefog Action Should Fail    4104    DeleteInstances
    ...    instanceIds=${{ ["inst-none-${RUN}"] }}
    Should Be Equal    ${error}[resourceId]    inst-none-${RUN}
    Should Be Equal    ${error}[message]    Resource (inst-none-${RUN}) is not found

Bad Parameters Are 4110
    Densefog Action Should Fail    4110    CreateInstances    count=two
    ...    message=Illegal request format, 'two' is not of type 'integer'.

A Failure Says What Was Asked And What Came Back
    Run Keyword And Expect Error
    ...    *action DeleteInstances*answered retCode 4104 (ResourceNotFound): Resource (inst-x-${RUN}) is not found*
    ...    Call Densefog Action    DeleteInstances    instanceIds=${{ ["inst-x-${RUN}"] }}

The Wrong Code Fails The Assertion
    Run Keyword And Expect Error    expected retCode 4105, got:*retCode 4104*
    ...    Densefog Action Should Fail    4105    DeleteInstances    instanceIds=${{ ["inst-y"] }}
