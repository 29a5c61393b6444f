"""What a route declaration needs besides its models: strict id parameters, the responses it
gives, and tags."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask_openapi3 import APIBlueprint, Tag
from flask_openapi3 import utils as flask_openapi3_utils
from pydantic import BaseModel, Field, create_model
from werkzeug.routing import BaseConverter, Rule

from .schemas import MAX_ID, Error


class IdConverter(BaseConverter):
    """``<id:name>``: ASCII digits only, so ``1_0``, `` 1``, ``1%0A`` or ``²`` match no route (404).

    The range (SQLite's INTEGER) is the path model's to judge, a 422 that names the parameter:
    a converter that refused it would make werkzeug answer 405 from a neighbouring route.
    """

    regex = r"[0-9]{1,40}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: Any) -> str:
        return str(int(value))


_compile_builder = Rule._compile_builder


def _lazy_builder(self: Rule, append_unknown: bool = True) -> Any:
    """werkzeug writes and compiles two URL-building functions (an AST each) for every route as
    it is added: 80% of the time it takes to make a MockSuite (four apps, ~190 routes; the tests
    make one per test), yet the mocks never build a URL. Each is compiled on its first use."""
    compiled = None

    def build(*args: Any, **kwargs: Any) -> Any:  # bound to the rule, as the compiled one is
        nonlocal compiled
        if compiled is None:
            compiled = _compile_builder(self, append_unknown)
        return compiled(*args, **kwargs)

    return build


Rule._compile_builder = _lazy_builder  # type: ignore[method-assign]

_model_schema = flask_openapi3_utils.get_model_schema


@lru_cache(maxsize=None)
def _schema_once(model: type[BaseModel], mode: str = "validation") -> dict:
    """flask-openapi3 asks pydantic for a model's JSON Schema each time a route declares it (380
    times as the mocks are imported, for far fewer models: half of that import). A model's
    schema never changes, and flask-openapi3 only reads it (as Query.model_json_schema caches)."""
    return _model_schema(model, mode)


flask_openapi3_utils.get_model_schema = _schema_once  # its route declarations call it there


@lru_cache(maxsize=None)
def path_model(*names: str) -> type[BaseModel]:
    """The path parameters of a route: each an id, so the document says what the converter takes."""
    fields = {name: (int, Field(ge=0, le=MAX_ID, json_schema_extra={"example": 1},
                                description=f"the {name.replace('_', ' ')}"))
              for name in names}
    return create_model("Path_" + "_".join(names), **fields)  # type: ignore[call-overload]


def answers(ok: int, model: type[BaseModel] | None, *refusals: int, **more: Any) -> dict[int, Any]:
    """The responses of a route: its success and each refusal it can give, all as ``Error``."""
    declared: dict[int, Any] = {ok: model}
    declared.update({status: Error for status in refusals})
    declared.update({int(k.lstrip("_")): v for k, v in more.items()})
    return declared


def tag(name: str, description: str) -> list[Tag]:
    return [Tag(name=name, description=description)]


def _operation_id(*, bp_name: str = "", name: str = "", path: str = "", method: str = "") -> str:
    return f"{bp_name}.{name}" if bp_name else name


def blueprint(name: str, import_name: str, url_prefix: str, tag_name: str, tag_description: str) -> APIBlueprint:
    """An API blueprint whose operations are tagged and named ``blueprint.function``."""
    return APIBlueprint(name, import_name, url_prefix=url_prefix, abp_tags=tag(tag_name, tag_description),
                        operation_id_callback=_operation_id)


def refusal(bp: APIBlueprint, methods: tuple[str, ...], rule: str, path: type[BaseModel] | None, why: str,
            handler) -> None:
    """Routes that exist only to refuse (a write the other system owns): one operation per method."""
    for method in methods:
        def view(**kwargs):
            handler()

        view.__doc__ = why
        view.__name__ = f"refuse_{method}_{rule.strip('/').replace('/', '_').replace('<', '').replace('>', '').replace(':', '_')}"
        if path is not None:
            view.__annotations__ = {"path": path}
        getattr(bp, method)(rule, responses={403: Error}, endpoint=view.__name__)(view)
