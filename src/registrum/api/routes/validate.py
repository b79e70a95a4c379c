"""``POST /validate``: check a server.json without publishing it.

The official publisher calls it when a publish is refused with 422, to print every issue; the
answer is the official ``ValidationResult`` shape (``valid`` and ``issues[]``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from registrum.api.openapi import body_schema, responses
from registrum.core import wire
from registrum.core.errors import InvalidInputError, Problem
from registrum.core.validation import parse_json, validate_server_json

router = APIRouter()


def _issue(p: Problem) -> dict[str, Any]:
    return {
        "type": p.kind,
        "path": p.path,
        "message": p.message,
        "severity": p.severity,
        "reference": p.rule or p.kind,
    }


@router.post(
    "/validate",
    operation_id="validate-server",
    summary="Validate a server.json",
    description="Runs every check publishing runs on the document itself (schema and the "
    "registry's rules) and reports every issue, with its JSON path, without storing anything.",
    tags=["publish"],
    response_class=Response,
    responses=responses(200, "ValidationResult"),
    openapi_extra=body_schema("ServerDetail"),
)
async def validate(request: Request) -> Response:
    body = await request.body()
    try:
        raw = parse_json(body)
    except InvalidInputError as exc:
        # The decoder names the member at fault when it can (a lone surrogate, a huge number).
        where = exc.problems[0].path if exc.problems else ""
        issues = [_issue(Problem(where, exc.detail, kind="json", rule="json-syntax"))]
        return Response(
            wire.dumps({"valid": False, "issues": issues}), media_type="application/json"
        )
    report = validate_server_json(raw)
    result = {
        "valid": report.ok,
        "issues": [_issue(p) for p in (*report.errors, *report.warnings)],
    }
    return Response(wire.dumps(result), media_type="application/json")
