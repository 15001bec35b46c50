*** Settings ***
Documentation       Saving environments, reusing them, checking and downloading them.
Library             robotlib.SandboxLibrary
Library             OperatingSystem
Test Setup          Create Work Directory


*** Variables ***
${MISSING}      00000000-0000-4000-8000-000000000000


*** Test Cases ***
A Saved Environment Can Be Checked And Downloaded
    ${saved}=    Execute In Sandbox    mkdir -p out    echo report > out/report.txt    save=True
    Should Not Be Empty    ${saved.environment}
    ${size}=    Sandbox Environment Should Exist    ${saved.environment}
    Should Be True    ${size} > 0
    Sandbox Environment Should Exist    ${saved.environment}    out/report.txt
    Sandbox Environment Should Not Exist    ${saved.environment}    out/absent.txt
    Sandbox Environment Should Not Exist    ${MISSING}
    ${text}=    Download Sandbox File    ${saved.environment}    out/report.txt
    Should Be Equal    ${text}    report\n
    ${bytes}=    Download Sandbox File    ${saved.environment}    out/report.txt    encoding=NONE
    Should Be Equal    ${bytes}    ${{b"report\n"}}
    ${file}=    Download Sandbox File    ${saved.environment}    out/report.txt    ${WORK}/report.txt
    File Should Exist    ${file}
    ${content}=    Get File    ${WORK}/report.txt
    Should Be Equal    ${content}    report\n

An Environment Downloads To A Directory Or An Archive
    ${saved}=    Execute In Sandbox    mkdir -p a/b    echo deep > a/b/c.txt    save=True
    ${dir}=    Download Sandbox Environment    ${saved.environment}    ${WORK}/unpacked/
    ${content}=    Get File    ${dir}/a/b/c.txt
    Should Be Equal    ${content}    deep\n
    ${archive}=    Download Sandbox Environment    ${saved.environment}    ${WORK}/env.tgz
    File Should Exist    ${archive}
    ${again}=    Execute In Sandbox    cat a/b/c.txt    environment=${archive}
    Command Stdout Should Be    ${again}    0    deep

A Stored Environment Is The Base Of A New Run And Never Changes
    ${first}=    Execute In Sandbox    echo one > n.txt    save=True
    ${second}=    Execute In Sandbox    cat n.txt    echo two > n.txt
    ...    from_environment=${first.environment}    save=True
    Command Stdout Should Be    ${second}    0    one
    Should Not Be Equal    ${first.environment}    ${second.environment}
    ${old}=    Download Sandbox File    ${first.environment}    n.txt
    Should Be Equal    ${old}    one\n
    ${new}=    Download Sandbox File    ${second.environment}    n.txt
    Should Be Equal    ${new}    two\n

Uploaded Files Are Laid Over A Stored Environment
    ${base}=    Execute In Sandbox    echo stored > hello.txt    echo kept > kept.txt    save=True
    ${result}=    Execute In Sandbox    cat hello.txt kept.txt sub/numbers.txt
    ...    from_environment=${base.environment}    environment=${CURDIR}/data/exercise
    Command Stdout Should Be    ${result}    0    hello from the exercise\nkept\n1\n2\n3

An Environment Holding Links Downloads As It Was Saved
    ${saved}=    Execute In Sandbox    echo data > f.txt    ln -s /etc/hostname host
    ...    ln -s f.txt near    save=True
    ${dir}=    Download Sandbox Environment    ${saved.environment}    ${WORK}/unpacked/
    ${target}=    Evaluate    os.readlink($dir / "host")    modules=os
    Should Be Equal    ${target}    /etc/hostname
    ${content}=    Get File    ${dir}/near
    Should Be Equal    ${content}    data\n
    ${again}=    Execute In Sandbox    readlink host    cat near    from_environment=${saved.environment}
    Command Stdout Should Be    ${again}    0    /etc/hostname
    Command Stdout Should Be    ${again}    1    data

Existence Checks Fail With A Clear Message
    ${saved}=    Execute In Sandbox    touch here.txt    save=True
    Run Keyword And Expect Error    sandbox has no file 'gone.txt' in environment *
    ...    Sandbox Environment Should Exist    ${saved.environment}    gone.txt
    Run Keyword And Expect Error    sandbox has environment ${saved.environment} (* bytes)
    ...    Sandbox Environment Should Not Exist    ${saved.environment}
    Run Keyword And Expect Error    GET */files/${MISSING}/any.txt/ -> 404 Not Found: No environment with UUID '${MISSING}' found
    ...    Download Sandbox File    ${MISSING}    any.txt


*** Keywords ***
Create Work Directory
    ${name}=    Evaluate    re.sub(r'\\W+', '-', $TEST_NAME)    modules=re
    Set Test Variable    ${WORK}    ${OUTPUT DIR}/sandbox-work/${name}-${{__import__('uuid').uuid4().hex[:8]}}
    Create Directory    ${WORK}
