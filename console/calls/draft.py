"""A call draft: the operator's raw field values, checked field by field, turned into a request.

The Call form and `call-console call place` both go through `check_draft`, so a rule is written
once and every problem names the field (and, for SIP headers, the row) it belongs to.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from console.api.models import (
    DISPLAY_NAME_MAX,
    MAX_DURATION_RANGE,
    MEDIA_ENCRYPTION_LEVELS,
    PRIORITIES,
    RINGING_TIMEOUT_RANGE,
    OutboundCallRequest,
)
from console.calls.context_json import check_context_value, parse_context
from console.telephony import phone, sip

__all__ = ["FieldProblem", "DraftResult", "parse_context", "check_int", "check_agent_id",
           "check_draft", "request_json", "curl_command", "TOKEN_PLACEHOLDER"]

#: Shown in the curl preview instead of the token; the line still works when the variable is set.
TOKEN_PLACEHOLDER = "$CALL_CONSOLE_TOKEN"


@dataclass(frozen=True)
class FieldProblem:
    field: str                 # request field name, e.g. "to_number", "custom_headers"
    message: str
    row: int | None = None     # 0-based header row for custom_headers
    part: str | None = None    # "name" / "value" for a header row


@dataclass
class DraftResult:
    request: OutboundCallRequest | None
    problems: list[FieldProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.request is not None and not self.problems

    def for_field(self, name: str) -> list[FieldProblem]:
        return [p for p in self.problems if p.field == name]


def check_int(text: Any, lo: int, hi: int) -> tuple[int | None, str | None]:
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        raw = str(text).strip()
        digits = raw.removeprefix("-")
        if not digits.isdecimal():  # not isdigit(): int() refuses '²'
            return None, f"must be a whole number from {lo} to {hi}"
        if len(digits) > 18:  # int() refuses 4,301 digits; none of these needs 19
            return None, f"must be from {lo} to {hi} (got a number of {len(digits)} digits)"
        value = int(raw)
    if not lo <= value <= hi:
        return None, f"must be from {lo} to {hi} (got {value})"
    return value, None


def check_agent_id(text: str) -> str | None:
    try:
        UUID(text.strip())
    except (ValueError, AttributeError):
        return "must be an agent UUID such as 3c90c3cc-0d44-4b50-8888-8dd25736052a"
    return None


def check_draft(values: Mapping[str, Any], *, region: str = "US") -> DraftResult:
    """Check raw values (strings as typed, or typed values) and build the request.

    Keys are the request's field names. `context` may be text or a dict; `custom_headers` may
    be a list of (name, value) rows or a dict. Missing keys take the API default.
    """
    problems: list[FieldProblem] = []
    body: dict[str, Any] = {}

    agent = str(values.get("agent_id") or "").strip()
    if not agent:
        problems.append(FieldProblem("agent_id", "required: pick an agent or paste its UUID"))
    elif message := check_agent_id(agent):
        problems.append(FieldProblem("agent_id", message))
    body["agent_id"] = agent

    to_text = str(values.get("to_number") or "").strip()
    if not to_text:
        problems.append(FieldProblem("to_number", "required: the number to call"))
    else:
        try:
            body["to_number"] = phone.parse_phone(to_text, region).e164
        except phone.PhoneError as exc:
            problems.append(FieldProblem("to_number", str(exc)))

    from_text = str(values.get("from_number") or "").strip()
    if from_text:
        try:
            body["from_number"] = phone.parse_phone(from_text, region).e164
        except phone.PhoneError as exc:
            problems.append(FieldProblem("from_number", str(exc)))

    context = values.get("context", {})
    if isinstance(context, str):
        context, message = parse_context(context)
        if message:
            problems.append(FieldProblem("context", message))
    elif not isinstance(context, dict):
        problems.append(FieldProblem("context", "must be a JSON object {...}"))
    elif message := check_context_value(context):  # e.g. from a template's TOML
        problems.append(FieldProblem("context", message))
        context = None
    if isinstance(context, dict):
        body["context"] = context

    for name, allowed in (("priority", PRIORITIES), ("media_encryption", MEDIA_ENCRYPTION_LEVELS)):
        if name in values and values[name] is not None:
            choice = str(values[name])
            if choice not in allowed:
                problems.append(FieldProblem(name, f"must be one of {', '.join(allowed)} "
                                                   f"(exactly, case-sensitive); got {choice!r}"))
            body[name] = choice

    for name in ("krisp_enabled", "wait_until_answered", "play_dialtone", "hide_phone_number"):
        if name in values and values[name] is not None:
            body[name] = bool(values[name])

    display = values.get("display_name")
    if display:
        display = str(display)
        if len(display) > DISPLAY_NAME_MAX:
            problems.append(FieldProblem(
                "display_name", f"at most {DISPLAY_NAME_MAX} characters (has {len(display)})"))
        elif message := sip.check_display_name(display):
            problems.append(FieldProblem("display_name", message))
        body["display_name"] = display

    dtmf = values.get("dtmf")
    if dtmf:
        issue = sip.check_dtmf(dtmf)
        if issue:
            problems.append(FieldProblem("dtmf", issue.message))
        body["dtmf"] = dtmf

    for name, (lo, hi) in (("ringing_timeout_seconds", RINGING_TIMEOUT_RANGE),
                           ("max_call_duration_seconds", MAX_DURATION_RANGE)):
        raw = values.get(name)
        if raw is not None and str(raw).strip() != "":
            number, message = check_int(raw, lo, hi)
            if message:
                problems.append(FieldProblem(name, message))
            else:
                body[name] = number

    headers = values.get("custom_headers") or []
    rows: Sequence[tuple[str, str]] = list(headers.items()) if isinstance(headers, Mapping) else [
        (str(n), str(v)) for n, v in headers]
    for issue in sip.check_headers(rows):
        problems.append(FieldProblem("custom_headers", issue.message, row=issue.row,
                                     part=issue.field))
    body["custom_headers"] = sip.headers_to_dict(rows)

    if problems:
        return DraftResult(None, problems)
    try:
        return DraftResult(OutboundCallRequest.model_validate(body))
    except ValidationError as exc:  # a rule the checks above missed: still name the field
        return DraftResult(None, [
            FieldProblem(str(err["loc"][0]) if err["loc"] else "", err["msg"])
            for err in exc.errors()])


def request_json(request: OutboundCallRequest) -> str:
    """The exact JSON body, pretty-printed, as the preview shows and the client sends."""
    return json.dumps(request.to_json_body(), indent=2, ensure_ascii=False)


def curl_command(base_url: str, request: OutboundCallRequest) -> str:
    """A curl line for the request with the token masked (the env var name stands in for it)."""
    body = json.dumps(request.to_json_body(), ensure_ascii=False, separators=(",", ":"))
    url = base_url.rstrip("/") + "/calls/outbound"
    return (
        f"curl --request POST {shlex.quote(url)} \\\n"
        f"  --header \"Authorization: Bearer {TOKEN_PLACEHOLDER}\" \\\n"
        f"  --header 'Content-Type: application/json' \\\n"
        f"  --data {shlex.quote(body)}"
    )
