"""The table of every command's parameters that the click-free fast path parses argv with.

Derived from click's own objects at build time (``python -m b12check.cli.build`` writes it to
``data/cli_params.json``, ``--check`` fails when it is stale), so click stays the one
authority: the fast path (``fastparse.py``) reads only what this table says, and declines
whatever it does not describe.
"""

import json
from typing import Any

import click

JSONValue = None | bool | int | float | str | list[Any]


def _type_record(kind: "click.ParamType[Any]") -> dict[str, Any]:
    """What the fast path needs to convert a value as click does; ``other`` = decline."""
    if isinstance(kind, click.Choice):
        choices = list(kind.choices)
        if not kind.case_sensitive or not all(isinstance(c, str) for c in choices):
            return {"kind": "other"}
        return {"kind": "choice", "choices": choices}
    if isinstance(kind, click.FloatRange):
        if kind.clamp:
            return {"kind": "other"}
        bounds = {"min": kind.min, "max": kind.max}
        return {"kind": "float_range", **bounds, "open": [kind.min_open, kind.max_open]}
    if isinstance(kind, click.Path):
        if kind.resolve_path or kind.type is not None:
            return {"kind": "other"}
        checks = ("exists", "file_okay", "dir_okay", "readable", "writable", "executable")
        record = {name: bool(getattr(kind, name)) for name in checks}
        return {"kind": "path", "allow_dash": kind.allow_dash, **record}
    if kind is click.STRING:
        return {"kind": "string"}
    return {"kind": "other"}


def _plain(value: Any) -> tuple[bool, JSONValue]:
    """A value as JSON (tuples as lists), and whether it could be written as one."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True, value
    if isinstance(value, tuple) and all(isinstance(item, str) for item in value):
        return True, list(value)
    return False, None


def _param_record(param: click.Parameter, absent: dict[str, Any]) -> dict[str, Any]:
    plain, value = _plain(absent.get(param.name or ""))
    option = param if isinstance(param, click.Option) else None
    envvar = param.envvar
    record: dict[str, Any] = {
        "name": param.name,
        "kind": "option" if option else "argument",
        "opts": list(param.opts) if option else [],
        "flag": bool(option and option.is_flag),
        "multiple": param.multiple,
        "nargs": param.nargs,
        "required": param.required,
        "expose": param.expose_value,
        "type": _type_record(param.type),
        "callback": getattr(param.callback, "__name__", None) if param.callback else None,
        "envvar": [envvar] if isinstance(envvar, str) else list(envvar or []),
        "absent": value,
    }
    record["fast"] = _fast(param, record["type"]["kind"], plain)
    return record


def _fast(param: click.Parameter, kind: str, plain: bool) -> bool:
    """Whether the fast path can read this parameter exactly as click does."""
    if not plain or param.secondary_opts:
        return False
    if isinstance(param, click.Option):
        if param.count or param.prompt or getattr(param, "_flag_needs_value", False):
            return False
        if param.is_flag:
            return bool(param.is_bool_flag) and not param.multiple  # (given: True)
        return kind != "other" and param.nargs == 1
    return kind != "other" and param.nargs in (1, -1)


def command_record(group: click.Group, name: str, command: click.Command) -> dict[str, Any]:
    """One command's parameters, each with the value click gives it when it is not given."""
    parent = click.Context(group, info_name="b12check")
    placeholders = ["x" for p in command.params if isinstance(p, click.Argument) and p.required]
    try:
        absent = command.make_context(name, placeholders, parent=parent).params
    except click.ClickException:
        return {"fast": False, "params": []}
    params = [_param_record(param, absent) for param in command.params]
    varargs = [p for p in params if p["kind"] == "argument" and p["nargs"] == -1]
    last = [p for p in params if p["kind"] == "argument"][-1:]
    fast = all(p["fast"] for p in params) and (not varargs or varargs == last)
    return {"fast": fast, "params": params}


def build_table() -> dict[str, Any]:
    from b12check.cli.main import cli

    commands = {
        name: command_record(cli, name, command)
        for name, command in sorted(cli.commands.items())
        if not isinstance(command, click.Group)
    }
    return {"commands": commands}


def render_table() -> str:
    return json.dumps(build_table(), separators=(",", ":"), sort_keys=True) + "\n"
