"""The checks the real API makes on a fine-tuning job request, with its error shapes."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

_JOB_KEYS = frozenset(
    {
        "model",
        "training_file",
        "validation_file",
        "hyperparameters",
        "method",
        "suffix",
        "seed",
        "metadata",
        "integrations",
    }
)
_RANGES = MappingProxyType(
    {
        "n_epochs": (int, 1, 50),
        "batch_size": (int, 1, 256),
        "learning_rate_multiplier": (float, 0.0, 10.0),
        "beta": (float, 0.0, 2.0),
    }
)


class RequestError(Exception):
    def __init__(
        self, status: int, message: str, param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": "invalid_request_error",
                "param": self.param,
                "code": self.code,
            }
        }


def _hyperparameters(values: Any, param: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise RequestError(400, f"{param} must be an object", param)
    for key, value in values.items():
        if key not in allowed:
            raise RequestError(400, f"Unrecognized hyperparameter: {key}", f"{param}.{key}")
        if value == "auto":
            continue
        kind, low, high = _RANGES[key]
        ok = isinstance(value, int) if kind is int else isinstance(value, int | float)
        if (
            isinstance(value, bool)
            or not ok
            or not (low < value <= high if kind is float else low <= value <= high)
        ):
            raise RequestError(
                400,
                f"Invalid value for {key}: {value!r} (expected 'auto' or {kind.__name__} in range)",
                f"{param}.{key}",
                "invalid_hyperparameters",
            )
    return dict(values)


def check_job_request(body: Any, models: frozenset[str], files: dict[str, Any]) -> dict[str, Any]:
    """Validate a create-job body; returns normalised method and hyperparameters."""
    if not isinstance(body, dict):
        raise RequestError(400, "Request body must be a JSON object")
    unknown = sorted(set(body) - _JOB_KEYS)
    if unknown:
        raise RequestError(400, f"Unrecognized request argument supplied: {unknown[0]}", unknown[0])
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise RequestError(400, "Missing required parameter: 'model'.", "model")
    if model not in models and not model.startswith("ft:"):
        raise RequestError(
            400,
            f"Model {model} is not available for fine-tuning or does not exist.",
            "model",
            "model_not_available",
        )
    for param in ("training_file", "validation_file"):
        file_id = body.get(param)
        if file_id is None and param == "validation_file":
            continue
        if not isinstance(file_id, str) or file_id not in files:
            raise RequestError(400, f"File {file_id} not found", param, "invalid_file")
        if files[file_id].purpose != "fine-tune":
            raise RequestError(
                400,
                f"File {file_id} has purpose {files[file_id].purpose!r}, not 'fine-tune'",
                param,
            )
    suffix = body.get("suffix")
    if suffix is not None and (not isinstance(suffix, str) or not 1 <= len(suffix) <= 64):
        raise RequestError(400, "suffix must be a string of 1 to 64 characters", "suffix")
    seed = body.get("seed")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 2_147_483_647
    ):
        raise RequestError(400, "seed must be an integer between 0 and 2147483647", "seed")
    metadata = body.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict) or len(metadata) > 16:
            raise RequestError(400, "metadata must be an object with at most 16 keys", "metadata")
        for key, value in metadata.items():
            if len(key) > 64 or not isinstance(value, str) or len(value) > 512:
                raise RequestError(400, f"Invalid metadata entry {key!r}", "metadata")
    method = body.get("method") or {"type": "supervised"}
    kind = method.get("type") if isinstance(method, dict) else None
    if kind not in ("supervised", "dpo"):
        raise RequestError(400, f"Invalid method type: {kind!r}", "method.type")
    allowed = ("n_epochs", "batch_size", "learning_rate_multiplier") + (
        ("beta",) if kind == "dpo" else ()
    )
    hyper = _hyperparameters(
        (method.get(kind) or {}).get("hyperparameters"), f"method.{kind}.hyperparameters", allowed
    )
    hyper = {**_hyperparameters(body.get("hyperparameters"), "hyperparameters", allowed), **hyper}
    return {"method": {"type": kind}, "hyperparameters": hyper}
