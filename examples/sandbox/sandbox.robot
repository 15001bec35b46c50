*** Settings ***
Documentation       Commands in an uploaded environment. Without ${SANDBOX_URL} an embedded
...                 sandbox runs for this Robot process.
Library             robotlib.SandboxLibrary    timeout=1 min


*** Test Cases ***
Exercise Passes
    ${result}=    Execute In Sandbox    sh sum.sh    cat total.txt
    ...    environment=${CURDIR}/exercise    result_path=total.txt
    Execution Status Should Be    ${result}    OK
    Command Stdout Should Contain    ${result}    0    total is 6
    Execution Result Should Be    ${result}    6

Failures Are Results, Not Errors
    ${result}=    Execute In Sandbox    echo before    no-such-command    echo never
    Execution Status Should Be    ${result}    127
    Command Stderr Should Contain    ${result}    -1    not found

Environments Can Be Kept And Reused
    ${saved}=    Execute In Sandbox    echo 1 > n.txt    save=True
    Sandbox Environment Should Exist    ${saved.environment}    n.txt
    ${next}=    Execute In Sandbox    cat n.txt    from_environment=${saved.environment}
    Command Stdout Should Be    ${next}    0    1
