"""Authentication: 403 bodies for every failure, tokens, JWT login and refresh."""

from __future__ import annotations

import requests

from .conftest import Api, Server

NOT_PROVIDED = {"detail": "Authentication credentials were not provided."}


def test_no_header_is_403_not_provided(server: Server) -> None:
    for path in ("", "users/", "executabletaskinstances/", "taskqueues/1/"):
        response = requests.get(server.url + path, timeout=10)
        assert response.status_code == 403
        assert response.json() == NOT_PROVIDED
        assert "WWW-Authenticate" not in response.headers


def test_bad_token_is_403_invalid_token(server: Server) -> None:
    response = Api(server.url, "0" * 40).get("users/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Invalid token."}


def test_token_keyword_is_case_insensitive_and_checked_for_spaces(server: Server) -> None:
    api = Api(server.url, None)
    token = server.tokens["admin"]
    assert api.get("users/", headers={"Authorization": f"token {token}"}).status_code == 200
    spaced = api.get("users/", headers={"Authorization": f"Token {token} extra"})
    assert spaced.status_code == 403
    assert spaced.json() == {
        "detail": "Invalid token header. Token string should not contain spaces."
    }
    bare = api.get("users/", headers={"Authorization": "Token"})
    assert bare.json() == {"detail": "Invalid token header. No credentials provided."}


def test_bad_bearer_gives_the_simplejwt_body(server: Server) -> None:
    response = Api(server.url, None).get("users/", headers={"Authorization": "Bearer abc.def.ghi"})
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Given token not valid for any token type",
        "code": "token_not_valid",
        "messages": [
            {
                "token_class": "AccessToken",
                "token_type": "access",
                "message": "Token is invalid or expired",
            }
        ],
    }


def test_jwt_keyword_is_ignored(server: Server) -> None:
    response = Api(server.url, None).get("users/", headers={"Authorization": "JWT abc"})
    assert response.status_code == 403
    assert response.json() == NOT_PROVIDED


def test_jwt_login_refresh_and_use(server: Server) -> None:
    anonymous = Api(server.url, None)
    login = anonymous.post("token/", json={"username": "bob", "password": "bobpw"})
    assert login.status_code == 200
    pair = login.json()
    assert set(pair) == {"refresh", "access"}
    who = anonymous.get("users/bob/", headers={"Authorization": f"Bearer {pair['access']}"})
    assert who.status_code == 200
    assert who.json() == {"username": "bob", "email": "bob@example.com"}
    refreshed = anonymous.post("token/refresh/", data={"refresh": pair["refresh"]})
    assert refreshed.status_code == 200
    access = refreshed.json()["access"]
    assert anonymous.get("users/", headers={"Authorization": f"Bearer {access}"}).ok
    # a refresh token is not an access token
    wrong = anonymous.get("users/", headers={"Authorization": f"Bearer {pair['refresh']}"})
    assert wrong.status_code == 403


def test_jwt_login_failures(server: Server) -> None:
    anonymous = Api(server.url, None)
    bad = anonymous.post("token/", json={"username": "bob", "password": "nope"})
    assert bad.status_code == 401
    assert bad.json() == {"detail": "No active account found with the given credentials"}
    assert bad.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    missing = anonymous.post("token/", json={})
    assert missing.status_code == 400
    assert missing.json() == {
        "username": ["This field is required."],
        "password": ["This field is required."],
    }
    refresh = anonymous.post("token/refresh/", json={"refresh": "x.y.z"})
    assert refresh.status_code == 401
    assert refresh.json() == {"detail": "Token is invalid or expired", "code": "token_not_valid"}
    assert anonymous.get("token/").status_code == 405


def test_token_endpoints_ignore_a_bad_authorization_header(server: Server) -> None:
    response = Api(server.url, "bad").post(
        "token/", json={"username": "admin", "password": "adminpw"}
    )
    assert response.status_code == 200
