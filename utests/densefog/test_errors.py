"""Every error code as a class with code, message, exceptionTag and resourceId; app codes too."""

from __future__ import annotations

import pytest

from jobharness.backends import densefog as df
from jobharness.backends.densefog import DensefogClient, DensefogError, error_class
from jobharness.errors import AuthenticationFailed, NotFound, PermissionDenied, ServerError

from .helpers import unique


@pytest.mark.parametrize(
    ("action", "params", "cls", "code", "message"),
    [
        ("NoSuchAction", {}, df.UnknownAction, 4000, "Unknow action NoSuchAction."),
        ("BadParameter", {}, df.InvalidRequestParameter, 4100, "bad x"),
        (
            "NotSupported",
            {"id": "inst-1"},
            df.ResourceActionUnsupported,
            4106,
            "Resource (inst-1) action is supported.",
        ),
        (
            "CreateInstances",
            {"count": "two"},
            df.IllegalRequestFormat,
            4110,
            "Illegal request format, 'two' is not of type 'integer'.",
        ),
        (
            "DeleteInstances",
            {"instanceIds": ["inst-none"]},
            df.ResourceNotFound,
            4104,
            "Resource (inst-none) is not found",
        ),
        ("Crash", {}, df.InternalError, 5000, "An error occurred while processing your request."),
        ("Unserialisable", {}, df.InternalError, 5000, None),
        ("ProviderFail", {}, df.ProviderActionError, 5001, "Action failed.op"),
        (
            "Fail",
            {"code": 4601, "message": "manage key"},
            df.DensefogClientError,
            4601,
            "manage key",
        ),
        ("Fail", {"code": 5002, "message": "partly"}, df.DensefogServerError, 5002, "partly"),
        ("Fail", {"code": 4101, "message": "no key"}, df.AccessKeyInvalid, 4101, "no key"),
        ("Fail", {"code": 7, "message": "odd"}, DensefogError, 7, "odd"),
    ],
)
def test_each_code_raises_its_class(
    client: DensefogClient,
    action: str,
    params: dict[str, object],
    cls: type[DensefogError],
    code: int,
    message: str | None,
) -> None:
    with pytest.raises(cls) as caught:
        client.call_with(action, params)
    error = caught.value
    assert type(error) is cls
    assert error.code == code and error.message == message and error.action == action
    if message is not None:  # an answer that cannot be serialised has no tag, as upstream's
        assert error.exception_tag is not None and error.exception_tag.startswith("ctx-")
    text = str(error)
    assert f"action {action}" in text and client.url in text and f"retCode {code}" in text
    assert isinstance(error, ServerError) and error.status == 200


def test_resource_errors_carry_the_resource_id(client: DensefogClient) -> None:
    with pytest.raises(df.ResourceNotFound) as caught:
        client.call("DeleteInstances", instanceIds=["inst-gone"])
    assert caught.value.resource_id == "inst-gone"
    assert isinstance(caught.value, NotFound)
    assert "resourceId inst-gone" in str(caught.value)


def test_busy_deleted_and_in_error_are_told_apart(client: DensefogClient) -> None:
    made = client.create_resources("instance", count=1, name=unique("guards"))
    rid = made.ids[0]
    with pytest.raises(df.ResourceIsBusy) as busy:
        client.call("DeleteInstances", instanceIds=[rid])
    assert busy.value.message == f"Can not do action, because resource ({rid}) is busy now."
    assert isinstance(busy.value, df.ResourceActionForbidden) and busy.value.code == 4105
    made.resources.wait(30, status="active")
    client.call("DeleteInstances", instanceIds=[rid])
    made.resources.wait(30, status="deleted")
    with pytest.raises(df.ResourceIsDeleted) as deleted:
        client.call("DeleteInstances", instanceIds=[rid])
    assert deleted.value.message == f"Can not do action, because resource ({rid}) is deleted."
    assert deleted.value.resource_id == rid


def test_an_apps_own_codes_map_onto_its_classes(service: object) -> None:
    class QuotaNotEnough(df.DensefogClientError):
        """4113."""

    from jobharness.backends.densefog.target import densefog_client

    with (
        densefog_client(service, errors={4113: QuotaNotEnough}) as client,  # type: ignore[arg-type]
        pytest.raises(QuotaNotEnough) as caught,
    ):
        client.call("Fail", code=4113, message="quota", data={"resourceId": "q-1"})
    assert caught.value.resource_id == "q-1" and caught.value.code_name == "ResourceQuotaNotEnough"


def test_error_classes_by_code_and_message() -> None:
    assert error_class(4105, "Resource (x) action is forbiden.") is df.ResourceActionForbidden
    assert error_class(4105, "... because resource (x) is in error.") is df.ResourceIsInError
    assert error_class(4103, None) is df.ResourceNotBelongsToProject
    assert issubclass(df.ResourceNotBelongsToProject, PermissionDenied)
    assert issubclass(df.AccessKeyInvalid, AuthenticationFailed)
    assert error_class(4999, None) is df.DensefogClientError
    assert error_class(5999, None) is df.DensefogServerError
