"""Read a ``check`` or ``scan`` command line without click, from the table click wrote.

``data/cli_params.json`` (``paramtable.py``, written by ``python -m b12check.cli.build``)
describes each command's parameters as click sees them. ``parse`` reads argv with it the way
click's parser does, and yields exactly the parameters click's ``make_context`` would, or
``None`` whenever it is not sure: an option it does not know, a bundle of short options, a
value that does not convert, ``--help``, a parameter's environment variable set, shell
completion. Then click takes the run, and its messages stay the only ones.
"""

import json
import os
from typing import TYPE_CHECKING

from b12check.cli.ending import DEBUG_KEY

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    Param = dict[str, Any]

TABLE_FILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "cli_params.json")
COMPLETE_VAR = "_B12CHECK_COMPLETE"  # click's shell completion for prog b12check


class Decline(Exception):
    """Not sure how click would read this: click takes the run."""


def parse(
    args: "list[str]", environ: "Mapping[str, str]"
) -> "tuple[str, dict[str, Any], dict[str, Any]] | None":
    """``(command, params, meta)`` as click would make them, or None (click's turn)."""
    try:
        return _parse(args, environ)
    except Decline:
        return None


def _table() -> "dict[str, Any]":
    try:
        with open(TABLE_FILE, encoding="utf-8") as handle:
            table: dict[str, Any] = json.load(handle)
    except (OSError, ValueError) as exc:
        raise Decline from exc
    return table


def _parse(
    args: "list[str]", environ: "Mapping[str, str]"
) -> "tuple[str, dict[str, Any], dict[str, Any]]":
    if not args or args[0][:1] == "-" or COMPLETE_VAR in environ:
        raise Decline
    spec = _table()["commands"].get(args[0])
    if not spec or not spec["fast"]:
        raise Decline
    params: list[Param] = spec["params"]
    if any(name in environ for param in params for name in param["envvar"]):
        raise Decline
    given: dict[str, list[str]] = {}
    positional = _split(args[1:], {opt: p for p in params for opt in p["opts"]}, given)
    values: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    for param in params:
        if param["kind"] == "argument":
            value = _argument(param, positional)
        else:
            value = _option(param, given.get(param["name"]))
        if param["callback"]:
            value = _callback(param["callback"])(value, meta)
        if param["expose"]:
            values[param["name"]] = value
    if positional:
        raise Decline  # click: "Got unexpected extra argument"
    return args[0], values, meta


def _split(
    tokens: "list[str]", by_opt: "dict[str, Param]", given: "dict[str, list[str]]"
) -> "list[str]":
    """Options into ``given`` (raw texts by parameter name, in order); the rest, in order."""
    positional: list[str] = []
    at = 0
    while at < len(tokens):
        token = tokens[at]
        at += 1
        if token == "--":
            positional.extend(tokens[at:])
            break
        if token[:1] != "-" or token == "-":
            positional.append(token)
            continue
        name, equals, text = token.partition("=") if token[:2] == "--" else (token, "", "")
        param = by_opt.get(name)
        if param is None or (equals and param["flag"]):
            raise Decline  # unknown (or -h, --help, -qf ...), or a flag given a value
        if not param["flag"] and not equals:
            if at == len(tokens):
                raise Decline  # click: "Option requires an argument"
            text = tokens[at]
            at += 1
        given.setdefault(param["name"], []).append(text)
    return positional


def _absent(param: "Param") -> "Any":
    value = param["absent"]
    return tuple(value) if isinstance(value, list) else value


def _option(param: "Param", texts: "list[str] | None") -> "Any":
    if texts is None:
        return _absent(param)
    if param["flag"]:
        return True
    values = [_convert(param["type"], text) for text in texts]
    return tuple(values) if param["multiple"] else values[-1]


def _argument(param: "Param", positional: "list[str]") -> "Any":
    if param["nargs"] == -1:
        values = tuple(_convert(param["type"], text) for text in positional)
        positional.clear()
        return values if values else _absent(param)
    if not positional:
        if param["required"]:
            raise Decline  # click: "Missing argument"
        return _absent(param)
    return _convert(param["type"], positional.pop(0))


def _convert(kind: "dict[str, Any]", text: str) -> "Any":
    name = kind["kind"]
    if name == "string":
        return text
    if name == "choice":
        if text not in kind["choices"]:
            raise Decline
        return text
    if name == "float_range":
        return _float_in_range(kind, text)
    if name == "path":
        return _path(kind, text)
    raise Decline


def _float_in_range(kind: "dict[str, Any]", text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise Decline from None
    low, high = kind["min"], kind["max"]
    low_open, high_open = kind["open"]
    below = low is not None and (number <= low if low_open else number < low)
    above = high is not None and (number >= high if high_open else number > high)
    if below or above:
        raise Decline
    return number


def _path(kind: "dict[str, Any]", text: str) -> str:
    """click.Path's checks, in its order; any failure is click's to report."""
    import stat

    if kind["file_okay"] and kind["allow_dash"] and text == "-":
        return text
    try:
        mode = os.stat(text).st_mode
    except (OSError, ValueError):
        if kind["exists"]:
            raise Decline from None
        return text
    refused = (
        (not kind["file_okay"] and stat.S_ISREG(mode))
        or (not kind["dir_okay"] and stat.S_ISDIR(mode))
        or (kind["readable"] and not os.access(text, os.R_OK))
        or (kind["writable"] and not os.access(text, os.W_OK))
        or (kind["executable"] and not os.access(text, os.X_OK))
    )
    if refused:
        raise Decline
    return text


def _sex(value: "str | None", meta: "dict[str, Any]") -> "str | None":
    if value is None:
        return None
    from b12check.core.evaluate import read_sex

    sex = read_sex(value)
    if sex is None:
        raise Decline
    return sex


def _finite_age(value: "float | None", meta: "dict[str, Any]") -> "float | None":
    import math

    if value is not None and not math.isfinite(value):
        raise Decline
    return value


def _remember_debug(value: bool, meta: "dict[str, Any]") -> bool:
    if value:
        meta[DEBUG_KEY] = True
    return value


# the click callbacks (options.py) by name, each with the same outcome or a Decline
CALLBACKS: "dict[str, Callable[[Any, dict[str, Any]], Any]]" = {
    "_sex": _sex,
    "_finite_age": _finite_age,
    "_remember_debug": _remember_debug,
}


def _callback(name: str) -> "Callable[[Any, dict[str, Any]], Any]":
    try:
        return CALLBACKS[name]
    except KeyError:
        raise Decline from None
