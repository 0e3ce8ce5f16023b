"""What the server's OpenAPI schema (``/openapi.json``, ``/docs``) says each API route answers,
so that it says what the server does: the error statuses a route declares (``responses``), the
media types of the search's exports, and no 422, which FastAPI documents for every route with
parameters while this server answers a request it cannot validate with 400.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

WHY = {
    400: "a bad parameter or body (a page below 1, an unknown filter, a malformed date, a query "
         "over 500 characters)",
    404: "no such entity or article",
    413: "a text over 1 MB to tag",
}
# The search's exports (format=csv, format=jsonl): every hit, streamed.
EXPORT_MEDIA_TYPES = ("text/csv", "application/x-ndjson")


class ApiErrorBody(BaseModel):
    """The body of every error the API answers."""

    status: int
    error: str


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses``: each of these error statuses with its JSON body and why."""
    return {status: {"model": ApiErrorBody, "description": WHY[status]} for status in statuses}


def with_exports(responses: dict[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """``responses`` plus the export media types beside the JSON of a 200."""
    text = {"schema": {"type": "string"}}
    return {**responses, 200: {"description": "the results as JSON, or every hit as CSV or JSON "
                                              "Lines (format=csv, format=jsonl)",
                               "content": {media: text for media in EXPORT_MEDIA_TYPES}}}


def without_validation_422(app: FastAPI) -> None:
    """Make ``app`` document no 422 (and drop the schemas only 422 used): a request that fails
    validation is answered 400, which the routes declare."""

    def schema() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version,
                                   description=app.description, routes=app.routes)
            for operations in document.get("paths", {}).values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
            schemas = document.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = schema  # type: ignore[method-assign]
