"""The OpenAPI document: FastAPI's paths plus component schemas from the wire models."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

REF = "#/components/schemas/{model}"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def responses(ok: int, schema: str, *errors: int) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {
        ok: {
            "description": HTTPStatus(ok).phrase,
            "content": {"application/json": {"schema": _ref(schema)}},
        }
    }
    for status in (*errors, 422):
        out[status] = {
            "description": HTTPStatus(status).phrase,
            "content": {"application/problem+json": {"schema": _ref("ErrorModel")}},
        }
    return out


SECURED: dict[str, Any] = {"security": [{"bearerAuth": []}]}


def body_schema(name: str, *, secured: bool = False) -> dict[str, Any]:
    return {
        **(SECURED if secured else {}),
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref(name)}},
        },
    }


def component_schemas() -> dict[str, Any]:
    from registrum.api.schemas import DOCUMENTED

    components: dict[str, Any] = {}
    for model in DOCUMENTED:
        schema = model.model_json_schema(by_alias=True, ref_template=REF)
        for name, sub in schema.pop("$defs", {}).items():
            components.setdefault(name, sub)
        components[model.__name__] = schema
    return components


def install(app: FastAPI) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            schemas = doc.setdefault("components", {}).setdefault("schemas", {})
            # FastAPI's own validation-error schemas are not what we send; ours is ErrorModel.
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
            schemas.update(component_schemas())
            doc["components"]["securitySchemes"] = {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            }
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]
