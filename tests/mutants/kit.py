"""The mutants' kit: the Mutant record, the registry, and the in-place patching tools."""

from __future__ import annotations

import inspect
import types
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Mutant:
    name: str
    requirements: tuple[str, ...]  # the rule it breaks: each of these verdicts must be "failed"
    breaks: str  # what a vendor got wrong, in the overview's words
    apply: Callable[[], None]  # monkeypatches the running process; never undone (a forked child runs it)
    options: tuple[str, ...] = field(default=())  # extra pytest options, if any


class MutantOutOfDate(TypeError):
    """The code a mutant wraps has changed its parameters: the mutant must follow, or it breaks more
    than its rule (the runner reports it as an error, never as a kill)."""


def patch(owner: Any, name: str, replacement: Any) -> None:
    """Replace ``owner.name`` (a constant, a mapping, a module attribute looked up at call time)."""
    if not hasattr(owner, name):
        raise AttributeError(f"{owner!r} has no {name!r} to replace: the mutant is out of date")
    setattr(owner, name, replacement)


def wrap(func: Callable[..., Any], around: Callable[..., Any]) -> None:
    """Make every call of ``func`` a call of ``around(original, *args, **kwargs)``, in place.

    The function object itself is changed (its code becomes a trampoline), so the change reaches
    every holder of it: a Flask view or a refusal handler registered at import, a name imported
    with ``from ... import``, a hook implementation. ``original`` is a copy of the function as it
    was. Only functions without closure cells can be changed so.
    """
    if func.__closure__:
        raise TypeError(f"{func.__qualname__} has a closure: wrap what it calls instead")
    original = types.FunctionType(func.__code__, func.__globals__, func.__name__, func.__defaults__)
    original.__kwdefaults__ = func.__kwdefaults__
    original.__dict__.update(func.__dict__)
    signature = inspect.signature(func)
    params, call, star = [], [], False
    for p in signature.parameters.values():
        if p.kind is p.POSITIONAL_ONLY:
            raise TypeError(f"{func.__qualname__}: positional-only parameters are not supported")
        if p.kind is p.VAR_POSITIONAL:
            params.append(f"*{p.name}")
            call.append(f"*{p.name}")
            star = True
        elif p.kind is p.KEYWORD_ONLY:
            if not star:
                params.append("*")
                star = True
            params.append(p.name)
            call.append(f"{p.name}={p.name}")
        elif p.kind is p.VAR_KEYWORD:
            params.append(f"**{p.name}")
            call.append(f"**{p.name}")
        else:
            params.append(p.name)
            call.append(p.name)
    bind = inspect.signature(around).bind

    def invoke(*args: Any, **kwargs: Any) -> Any:
        try:
            bind(original, *args, **kwargs)
        except TypeError as exc:
            raise MutantOutOfDate(f"{func.__qualname__} is called with {len(args)} arguments and {sorted(kwargs)}, "
                                  f"which the mutant's wrapper {inspect.signature(around)} does not take: {exc}") from None
        return around(original, *args, **kwargs)

    key = f"__mutant_{func.__name__}_{id(func)}"
    func.__globals__[key] = invoke
    namespace: dict[str, Any] = {}
    exec(f"def {func.__name__}({', '.join(params)}):\n    return {key}({', '.join(call)})\n",  # noqa: S102
         func.__globals__, namespace)
    func.__code__ = namespace[func.__name__].__code__


def edited(func: Callable[[Any], Any], change: Callable[[Any, Any], Any]) -> None:
    """Make ``func(arg)`` hand back its answer after ``change(answer, arg)`` edited it in place: a
    mapping that gets one field wrong."""
    def around(original, arg):
        answer = original(arg)
        change(answer, arg)
        return answer

    wrap(func, around)


def replace(func: Callable[..., Any], new: Callable[..., Any]) -> None:
    """Make every call of ``func`` a call of ``new`` (same parameters), in place."""
    wrap(func, lambda _original, *args, **kwargs: new(*args, **kwargs))


_REGISTRY: list[Mutant] = []


def mutant(name: str, *requirements: str, breaks: str, options: tuple[str, ...] = ()):
    """Decorator: the function is the mutant's ``apply``."""
    def register(apply: Callable[[], None]) -> Callable[[], None]:
        _REGISTRY.append(Mutant(name, requirements, breaks, apply, options))
        return apply

    return register


def registered() -> list[Mutant]:
    names = [m.name for m in _REGISTRY]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"mutant names must be unique: {', '.join(duplicates)}")
    return list(_REGISTRY)
