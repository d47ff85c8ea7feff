"""The start-up check of an OpenAI-compatible endpoint, written once: ask ``/models`` and fail
with one clear line if the endpoint is unreachable, rejects the key, or does not serve the model.

Callers phrase the unreachable case their own way (``unreachable``: a format string with
``{url}`` and ``{cause}``), since their command-line errors are part of their interface.
"""

from __future__ import annotations

from skyray.llm.types import TeacherError

TEACHER_UNREACHABLE = "teacher endpoint {url} is unreachable ({cause})"


async def check_endpoint(
    base_url: str,
    api_key: str,
    model: str,
    *,
    key_env: str,
    timeout_s: float = 10.0,
    verify=False,
    unreachable: str = TEACHER_UNREACHABLE,
    missing_models_route_ok: bool = False,
    error: type[Exception] = TeacherError,
) -> list[str]:
    """The models the endpoint serves; raises ``error`` (one line) when it cannot be used.
    ``missing_models_route_ok``: a 404 on ``/models`` (some servers have no such route) passes."""
    import openai
    from openai import AsyncOpenAI, DefaultAsyncHttpxClient

    client = AsyncOpenAI(
        api_key=api_key,
        base_url=base_url,
        max_retries=0,
        timeout=timeout_s,
        http_client=DefaultAsyncHttpxClient(verify=verify, timeout=timeout_s),
    )
    try:
        models = [m.id async for m in client.models.list()]
    except openai.AuthenticationError:
        raise error(
            f"teacher at {base_url} rejected the API key from ${key_env} (HTTP 401)"
        ) from None
    except openai.PermissionDeniedError:
        raise error(f"teacher at {base_url}: permission denied (HTTP 403)") from None
    except (openai.APIConnectionError, openai.APITimeoutError) as exc:
        cause = f"{type(exc).__name__}: {_cause(exc)}"
        raise error(unreachable.format(url=base_url, cause=cause)) from None
    except openai.NotFoundError:
        if missing_models_route_ok:
            return []
        raise error(f"teacher at {base_url} answered HTTP 404 to /models") from None
    except openai.APIStatusError as exc:
        raise error(f"teacher at {base_url} answered HTTP {exc.status_code} to /models") from None
    finally:
        await client.close()
    if models and model not in models:
        raise error(f"teacher at {base_url} does not serve model {model!r}: {models[:10]}")
    return models


def _cause(exc: BaseException) -> str:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return str(exc) or type(exc).__name__
