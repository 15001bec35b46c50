*** Settings ***
Documentation       Commands and an interactive shell in a target. Without ${TERMINAL_HOST}
...                 the library starts a private sshd on 127.0.0.1 for this Robot process.
Library             robotlib.TerminalLibrary    timeout=30 s


*** Test Cases ***
Hello
    ${result}=    Execute Command In Target    echo hello; echo oops >&2
    Should Be Equal    ${result.status}    0
    Should Be Equal    ${result.stdout}    hello
    Should Be Equal    ${result.stderr}    oops

Answer A Program
    Open Interactive Session    alias=shell
    Write    read -p "name? " name; echo "hi $name"
    Read Until    name?
    Write    robot
    ${text}=    Read Until Prompt    strip_prompt=${True}
    Should Contain    ${text}    hi robot
