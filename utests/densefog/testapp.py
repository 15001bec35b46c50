"""An app module for the embedded service in tests: more actions, and jobs that fail or break.

Loaded with ``--app``; its actions and job functions come on top of the demo's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from jobharness.servers.densefog.framework import (
    ActionRequest,
    HandleError,
    InvalidRequestParameter,
    ProviderActionError,
    unsupported,
    validate,
)

RUN_JOB_SCHEMA = {
    "type": "object",
    "properties": {
        "job": {"type": "string"},
        "params": {"type": "object"},
        "tryMax": {"type": "integer", "minimum": 0},
        "tryPeriod": {"type": "integer", "minimum": 0},
    },
    "required": ["job"],
}


def ping(request: ActionRequest) -> dict[str, Any]:
    """Answer the params it got."""
    return {"pong": True, "echo": request.params}


def run_job(request: ActionRequest) -> dict[str, Any]:
    """Make a job of any action: ``{job, params?, tryMax?, tryPeriod?}``."""
    params = validate(request.params, RUN_JOB_SCHEMA)
    job_id = request.jobs.create(
        params["job"],
        params.get("params", {}),
        project_id=request.project_id,
        try_max=params.get("tryMax"),
        try_period=params.get("tryPeriod"),
    )
    return {"jobId": job_id}


def fail(request: ActionRequest) -> None:
    """Answer the error the params ask for: ``{code, message, data?}``."""
    raise HandleError(
        str(request.params["message"]), int(request.params["code"]), request.params.get("data")
    )


def crash(request: ActionRequest) -> None:
    """An unhandled error: 5000."""
    raise RuntimeError("the handler crashed")


def provider(request: ActionRequest) -> None:
    """5001 ``Action failed.op``."""
    raise ProviderActionError("the cloud said no")


def bad_parameter(request: ActionRequest) -> None:
    """4100."""
    raise InvalidRequestParameter("bad x")


def not_supported(request: ActionRequest) -> None:
    """4106 for the resource the params name."""
    raise unsupported(str(request.params.get("id", "inst-x")))


def unserialisable(request: ActionRequest) -> Any:
    """An answer that cannot be serialised: 5000."""
    return {"thing": object.__new__(type("Opaque", (), {"__slots__": ()}))}


def hold_instance(request: ActionRequest) -> dict[str, Any]:
    """Set an instance's status directly (``{instanceId, status}``): keep it busy, or free it."""
    request.db.execute(
        "UPDATE instance SET status = ? WHERE id = ?",
        [str(request.params["status"]), str(request.params["instanceId"])],
    )
    return {}


ACTIONS = {
    "HoldInstance": hold_instance,
    "Ping": ping,
    "RunJob": run_job,
    "Fail": fail,
    "Crash": crash,
    "ProviderFail": provider,
    "BadParameter": bad_parameter,
    "NotSupported": not_supported,
    "Unserialisable": unserialisable,
}


# -- job functions (job action "Echo" runs echo, and so on) --------------------------------------


def echo(params: dict[str, Any], time_sleep: Any, is_last_chance: bool) -> Any:
    """Return the params."""
    return params


def sleepy(params: dict[str, Any], time_sleep: Any, is_last_chance: bool) -> Any:
    """Sleep ``params["seconds"]`` with the worker's sleep (so a timeout stops it)."""
    time_sleep(float(params.get("seconds", 1)))
    return {"slept": params.get("seconds", 1)}


def always_fail(params: dict[str, Any], time_sleep: Any, is_last_chance: bool) -> Any:
    """Fail every attempt, saying whether it was the last."""
    raise RuntimeError(f"always_fail boom (is_last_chance={is_last_chance})")


def fail_until_last(params: dict[str, Any], time_sleep: Any, is_last_chance: bool) -> Any:
    """Fail every attempt but the last."""
    if not is_last_chance:
        raise RuntimeError("not yet")
    return {"made_it": True}


def bad_result(params: dict[str, Any], time_sleep: Any, is_last_chance: bool) -> Any:
    """Return a datetime, which is not JSON: the job stays running, as upstream."""
    return {"when": dt.datetime.now()}
