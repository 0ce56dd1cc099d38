"""Calls to the action server without per-call waste: same requests, same checks.

Rasa 3.6 does three costly things on every custom action call:

- ``RemoteAction._validate_action_result`` calls ``jsonschema.validate``, which first
  checks the response *schema* itself against the JSON Schema meta-schema, then builds
  a validator, then validates the response. The schema is a constant, so here it is
  checked and compiled once per process; every response is still validated against it,
  and an invalid one raises the same ``ValidationError`` (same best match, same
  message) as Rasa's code.
- ``EndpointConfig.request`` opens a new ``aiohttp.ClientSession`` (a new TCP
  connection) per call. Here the requests go through one session per event loop whose
  connections are kept alive for 2 s, less than the 5 s after which the action server
  (Sanic) closes an idle one, so a kept connection is never one the server is closing.
  Headers, authentication, parameters, timeout, TLS context and error handling are
  Rasa's own.
- The request body (the whole conversation, then the domain) is encoded by ``ujson``
  (installed with Rasa; the action server's Sanic decodes with it) instead of the
  standard library's ``json``, and the domain's JSON text is encoded once per domain
  and spliced in (Rasa never changes a loaded domain's dict; a new model brings a new
  one): the same JSON values, without spaces after separators and with ``/`` escaped
  by a backslash; a value ``ujson`` cannot encode goes through ``json``.
  ``SPRO_RASA_PATCHES_OFF=action_json`` leaves this encoding alone.

``install()`` applies them when the installed Rasa is a checked version, unless
``SPRO_RASA_PATCHES_OFF`` names ``action_endpoint`` (or ``all``).
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
from typing import Any

import aiohttp
import ujson

from bot.rasa_patches import (
    patch_enabled,
    rasa_version_checked,
    replace_attributes,
    restore_attributes,
)

NAME = "action_endpoint"
JSON_NAME = "action_json"
DOMAIN_KEY = "domain"
KEEPALIVE_SECONDS = 2.0
_validators: dict[type, Any] = {}
_session: tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession] | None = None
_domain_json: tuple[dict[str, Any], str] | None = None


def response_validator(action_class: Any) -> Any:
    """The response schema's validator, checked and compiled once per action class."""
    validator = _validators.get(action_class)
    if validator is None:
        from jsonschema.validators import validator_for

        schema = action_class.action_response_format_spec()
        validator_class = validator_for(schema)
        validator_class.check_schema(schema)
        validator = _validators[action_class] = validator_class(schema)
    return validator


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the validator compiled once."""
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(response_validator(type(self)).iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def _ujson_or_json(value: Any) -> str:
    try:
        return ujson.dumps(value)
    except (TypeError, ValueError, OverflowError):
        return json.dumps(value)


def domain_json(domain: dict[str, Any]) -> str:
    """The JSON text of ``domain`` (Rasa's ``Domain.as_dict()``), encoded once."""
    global _domain_json
    if _domain_json is None or _domain_json[0] is not domain:
        _domain_json = (domain, _ujson_or_json(domain))
    return _domain_json[1]


def encode_json(value: Any) -> str:
    """JSON text of an action call's body: ``ujson``'s, the domain's text kept."""
    domain = value.get(DOMAIN_KEY) if isinstance(value, dict) else None
    if not isinstance(domain, dict) or list(value)[-1] != DOMAIN_KEY or len(value) < 2:
        return _ujson_or_json(value)
    rest = _ujson_or_json({k: v for k, v in value.items() if k != DOMAIN_KEY})
    return f'{rest[:-1]},"{DOMAIN_KEY}":{domain_json(domain)}}}'


def kept_alive_session() -> aiohttp.ClientSession:
    """The running event loop's client session, created at its first use."""
    global _session
    from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT

    loop = asyncio.get_running_loop()
    if _session is None or _session[0] is not loop or _session[1].closed:
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            json_serialize=encode_json if patch_enabled(JSON_NAME) else json.dumps,
        )
        _session = (loop, session)
    return _session[1]


async def close_session() -> None:
    """Close the kept-alive session (tests; servers keep it until they exit)."""
    global _session
    if _session is not None:
        await _session[1].close()
        _session = None


async def request(
    self: Any,
    method: str = "post",
    subpath: str | None = None,
    content_type: str | None = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Any:
    """``EndpointConfig.request`` over the kept-alive session (Rasa 3.6.21's body)."""
    from rasa.shared.exceptions import FileNotFoundException
    from rasa.utils.endpoints import ClientResponseError, concat_url

    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if "headers" in kwargs:
        headers.update(kwargs["headers"])
        del kwargs["headers"]
    if self.headers:
        headers.update(self.headers)
    url = concat_url(self.url, subpath)
    sslcontext = None
    if self.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=self.cafile)
        except FileNotFoundError as e:
            raise FileNotFoundException(
                f"Failed to find certificate file, "
                f"'{os.path.abspath(self.cafile)}' does not exist."
            ) from e
    auth = None
    if self.basic_auth:
        auth = aiohttp.BasicAuth(
            self.basic_auth["username"], self.basic_auth["password"]
        )
    async with kept_alive_session().request(
        method,
        url,
        headers=headers,
        auth=auth,
        params=self.combine_parameters(kwargs),
        compress=compress,
        ssl=sslcontext,
        **kwargs,
    ) as response:
        if response.status >= 400:
            raise ClientResponseError(
                response.status, response.reason, await response.content.read()
            )
        try:
            return await response.json()
        except aiohttp.ContentTypeError:
            return None


def install() -> None:
    """Patch ``RemoteAction`` and ``EndpointConfig`` (idempotent)."""
    if not patch_enabled(NAME) or not rasa_version_checked(NAME):
        return
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.endpoints import EndpointConfig

    replace_attributes(
        RemoteAction, {"_validate_action_result": validate_action_result}
    )
    replace_attributes(EndpointConfig, {"request": request})


def uninstall() -> None:
    """Put Rasa's own methods back (for the equality tests)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.endpoints import EndpointConfig

    restore_attributes(RemoteAction, ["_validate_action_result"])
    restore_attributes(EndpointConfig, ["request"])
