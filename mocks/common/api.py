"""How every mock is served: a flask-openapi3 app whose typed route declarations validate each
request, shape the OpenAPI 3.1 document and the browsable API page (/docs), and whose errors all
take the project's shape: ``{"errors", "status_code", "problems": [{"field", "problem"}]}``.

Bad input never reaches a handler: an id that is not plain ASCII digits matches no route (404),
one past SQLite's range is refused by the path model (422), bodies are bounded in size (413) and
nesting (400), and a body that is not a JSON object is a 400 naming the problem.
"""

from __future__ import annotations

import os
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Response, g, jsonify, make_response, redirect, request
from flask_openapi3 import APIBlueprint, Info, OpenAPI
from flask_openapi3.models.schema import Schema
from flask_openapi3_swagger.plugins import RegisterPlugin as SwaggerUI
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from kipu_harness import phi
from kipu_harness.events import Problem

from .base import CONTROL_PREFIX, ApiError, SystemContext
from .control import control
from . import guard
from .json_provider import OrjsonProvider
from .idempotency import IN_USE, OPENAPI_PARAMETER, install as idempotency_keys
from .routes import IdConverter
from .schemas import Error, problems_of

# flask-openapi3's Schema model knows OpenAPI 3.0's keywords only and silently drops the rest of
# JSON Schema 2020-12, which OpenAPI 3.1 allows (examples, propertyNames, if/then...): keep them.
Schema.model_config["extra"] = "allow"
Schema.model_rebuild(force=True)

MAX_BODY = 1 << 20  # bytes
MAX_DEPTH = 32  # JSON nesting; the deepest real body (a charge batch) is 4
DOCS = "/docs"


def _validation_error(error: ValidationError) -> Response:
    problems = problems_of(error, strip_prefix=("document.data",))
    status, message = 422, "invalid request"
    if any(p.field == "body" for p in problems):  # no JSON object at all: the body itself is wrong
        status = 400
        message = "request body is empty" if not request.get_data(cache=True) else "request body must be a JSON object"
        problems = [p for p in problems if p.field == "body"]
    body = {"errors": message, "status_code": status, "problems": [p.as_json() for p in problems]}
    return make_response(jsonify(body), status)


class UndeclaredAnswer(Exception):
    """A route answered with a status or a body its declaration does not promise."""


def _check_answer(response: Any, responses: dict[Any, Any]) -> Any:
    """The route's answer against its declaration: the status is declared, the body fits its model.

    flask-openapi3's own check reads neither ``(jsonify(...), 201)`` nor an undeclared status.
    """
    body, status = (response[0], response[1]) if isinstance(response, tuple) else (response, 200)
    if isinstance(body, Response):
        status = status if isinstance(response, tuple) else body.status_code
        if body.mimetype != "application/json":
            return response
        body = body.get_json()
    declared = {int(k): v for k, v in responses.items()}
    if int(status) not in declared:
        raise UndeclaredAnswer(f"status {status} is not among the declared {sorted(declared)}")
    model = declared[int(status)]
    if isinstance(model, type) and issubclass(model, BaseModel):
        model.model_validate(body)
    return response


def _depth(value: Any) -> int:
    """Nesting depth without recursion (a hostile body must not blow the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def new_app(context: SystemContext, *, title: str, description: str, apis: tuple[Blueprint, ...]) -> OpenAPI:
    """A mock system's Flask app: context, JSON errors, bounded input, journal, control routes, docs."""
    app = OpenAPI(
        f"kipu_harness.mocks.{context.system}",
        info=Info(title=title, version="1", description=description),
        doc_ui=False,  # the API page is registered below, without a scan of every entry point per app
        validation_error_status=422,
        validation_error_model=Error,
        validation_error_callback=_validation_error,
        # KIPU_VALIDATE_RESPONSES=1 checks every JSON answer against its declared model (the tests
        # run so); a mismatch is then a 500 naming the field, so drift cannot hide.
        validate_response=os.environ.get("KIPU_VALIDATE_RESPONSES") == "1",
        validate_response_callback=_check_answer,
    )
    app.url_map.converters["id"] = IdConverter
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.extensions["kipu"] = context
    app.json = OrjsonProvider(app)  # keys in insertion order, as Flask's with sort_keys = False
    _errors(app)
    guard.install(app)  # Origin, the control token and the body's type, before anything reads the body
    _masked_errors(app)
    _limits_and_journal(app, context)
    idempotency_keys(app, context)  # Idempotency-Key, and each write's "delivery" in its answer
    for api in (*apis, control):
        if isinstance(api, APIBlueprint):
            app.register_api(api)
        else:  # a plain Flask blueprint serves, but is not in the document
            app.register_blueprint(api)

    @app.get("/openapi.json", doc_ui=False)
    def openapi_document():
        return jsonify(document(app))

    _api_page(app)

    return app


def _api_page(app: OpenAPI) -> None:
    """Swagger UI at /docs/swagger, its assets from the installed flask-openapi3-swagger package."""
    page = SwaggerUI.register(doc_url="openapi.json")
    app.register_blueprint(page, url_prefix=DOCS)
    app.add_url_rule(f"{DOCS}/openapi.json", "docs_openapi", lambda: jsonify(document(app)))
    app.add_url_rule(DOCS, "docs", lambda: redirect(f"{DOCS}/swagger"))


def document(app: OpenAPI) -> dict[str, Any]:
    """The app's OpenAPI 3.1 document, with the project's error shape on every refusal."""
    spec = app.api_doc
    if spec.get("x-kipu-finished"):
        return spec
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            if method == "post" and not path.startswith(CONTROL_PREFIX):
                operation.setdefault("parameters", []).append(dict(OPENAPI_PARAMETER))
                responses.setdefault("409", {"description": IN_USE, "content": error})
                for status in ("409", "422"):  # a text route (HL7, X12) refuses a bad key in JSON too
                    content = responses.get(status, {}).get("content")
                    if content is not None and "application/json" not in content:
                        content.update(error)
            takes_input = bool(operation.get("requestBody") or operation.get("parameters"))
            # flask-openapi3 adds a list-shaped 422 everywhere; ours is one Error, and only where
            # there is input to refuse.
            default_422 = responses.get("422", {}).get("content", {}).get("application/json", {}).get("schema", {})
            if default_422.get("type") == "array":  # (a route's own 422 may be text, as an HL7 AR ACK)
                del responses["422"]
            if takes_input:
                responses.setdefault("422", {"description": "The request breaks this document", "content": error})
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                responses.setdefault("400", {"description": "The body is empty, not JSON, not a JSON object, or nested too deeply",
                                             "content": error})
            if operation.get("requestBody"):
                responses.setdefault("413", {"description": f"The body is over {MAX_BODY} bytes", "content": error})
            if "{" in path:
                responses.setdefault("404", {"description": "No such record", "content": error})
            for status, response in responses.items():
                response["description"] = response.get("description") or HTTPStatus(int(status)).phrase
    guard.document(spec)
    components = spec.setdefault("components", {})
    for schema in components.get("schemas", {}).values():
        schema.pop("$defs", None)  # already hoisted into components.schemas by flask-openapi3
    if components.get("securitySchemes") is None:
        components.pop("securitySchemes", None)
    spec["x-kipu-finished"] = True
    return spec


def _errors(app: OpenAPI) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> tuple[Response, int]:
        body: dict[str, Any] = {"errors": exc.message, "status_code": exc.status}
        body["problems"] = [p.as_json() for p in exc.problems]
        return jsonify(body), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        if exc.response is not None and exc.code == 422:  # a validation error, already shaped
            return exc.response
        code = exc.code or 500
        response = jsonify({"errors": exc.description or exc.name, "status_code": code, "problems": []})
        response.status_code = code
        for name, value in exc.get_headers():  # such as Allow on a 405
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response, int]:
        # Never a stack trace to the caller; the server log keeps it.
        app.logger.exception("unhandled error")
        message = f"internal error: {type(exc).__name__}"
        if app.validate_response and isinstance(exc, (ValidationError, UndeclaredAnswer)):
            message += f": the answer breaks its declaration: {exc}"[:2000]
        return jsonify({"errors": message, "status_code": 500, "problems": []}), 500


def _masked_errors(app: OpenAPI) -> None:
    """A refusal may echo what it refuses: SSNs in an error's text are masked (kipu_harness.phi)."""
    phi.mask_logs()

    @app.after_request
    def mask_refusal(response: Response) -> Response:
        if response.status_code >= 400 and response.mimetype in ("application/json", "text/plain") \
                and not response.direct_passthrough:
            text = response.get_data(as_text=True)
            masked = phi.mask_ssn(text)
            if masked != text:
                response.set_data(masked)
        return response


def _limits_and_journal(app: OpenAPI, context: SystemContext) -> None:
    @app.before_request
    def check_body() -> None:
        raw = request.get_data(cache=True)
        g.kipu_body = raw[:20000].decode("utf-8", "replace")
        if not raw or not request.is_json:  # only a JSON body is read as JSON (guard.py refuses the rest)
            return
        try:
            body = request.get_json(silent=False)  # cached for the route's own validation
        except RecursionError:
            raise ApiError(400, "request body is nested too deeply",
                           [Problem("body", f"JSON may nest at most {MAX_DEPTH} levels")]) from None
        except HTTPException:
            raise ApiError(400, "request body is not valid JSON", [Problem("body", "is not valid JSON")]) from None
        # A body cannot nest deeper than it has brackets: most are walked no further.
        if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _depth(body) > MAX_DEPTH:
            raise ApiError(400, "request body is nested too deeply",
                           [Problem("body", f"JSON may nest at most {MAX_DEPTH} levels")])

    @app.after_request
    def journal(response: Response) -> Response:
        path = request.path
        if not path.startswith((CONTROL_PREFIX, DOCS)) and path != "/openapi.json":
            summary = f"{request.method} {request.full_path.rstrip('?')} -> {response.status_code}"
            context.journal("http", summary, getattr(g, "kipu_body", ""))  # the journal masks (Tx.journal)
        return response
