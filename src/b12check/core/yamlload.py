"""A careful YAML reader for ranges and notes files.

Safe loading only, with YAML 1.1 surprises switched off: ``no``/``on`` stay text, ``010`` stays
text, no dates or base-60 numbers. Duplicate keys, anchors and aliases are refused, files over a
size cap are refused, and every node keeps its line so problems can be reported as FILE:LINE.
"""

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from b12check.core.errors import ConfigError

MAX_BYTES = 1024 * 1024


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader with a small, strict set of implicit types."""

    yaml_implicit_resolvers: dict[Any, Any] = {}

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        mark: yaml.Mark | None = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            raise yaml.MarkedYAMLError(
                None, None, "aliases (*name) are not allowed in b12check files", mark
            )
        if getattr(event, "anchor", None) is not None:
            raise yaml.MarkedYAMLError(
                None, None, "anchors (&name) are not allowed in b12check files", mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.MarkedYAMLError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf")
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|)$"), ["~", "n", ""]
)


def _construct_float(loader: yaml.SafeLoader, node: ScalarNode) -> float:
    return float(loader.construct_scalar(node))


_StrictLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


class LoadedYaml:
    """A parsed document and its node tree, for mapping validation errors to lines."""

    def __init__(self, path: str, data: Any, root: Node | None) -> None:
        self.path = path
        self.data = data
        self.root = root

    def locate(self, loc: tuple[int | str, ...]) -> str:
        """``FILE:LINE:COLUMN`` of the deepest node along a pydantic error location."""
        node = self.root
        best = node
        for part in loc:
            if isinstance(node, MappingNode):
                node = next(
                    (
                        v
                        for k, v in node.value
                        if isinstance(k, ScalarNode) and k.value == str(part)
                    ),
                    None,
                )
            elif (
                isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value)
            ):
                node = node.value[part]
            else:
                node = None
            if node is None:
                break
            best = node
        if best is None:
            return f"{self.path}:1:1"
        mark = best.start_mark
        return f"{self.path}:{mark.line + 1}:{mark.column + 1}"


def load_yaml_file(path: Path, *, display: str | None = None) -> LoadedYaml:
    """Read and parse one YAML file strictly; problems raise ConfigError with FILE:LINE."""
    name = display or str(path)
    try:
        data = _read_capped(path, name)
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc
    except OSError as exc:
        raise ConfigError([f"{name}: cannot read: {exc.strerror or exc}"]) from exc
    return load_yaml_text(text, name)


def _not_regular(mode: int) -> str | None:
    """Why a file of this kind cannot be a ranges or notes file (None: a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a regular file"
    if stat.S_ISCHR(mode):
        return "is a character device, not a regular file"
    if stat.S_ISBLK(mode):
        return "is a block device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


def _over_limit(name: str, size: str) -> ConfigError:
    return ConfigError([f"{name}: {size} is over the {MAX_BYTES}-byte limit"])


def _read_capped(path: Path, name: str) -> bytes:
    """The bytes of a regular file of at most MAX_BYTES; anything else is a ConfigError.

    The kind of file is checked before it is opened (opening a FIFO for reading waits for a
    writer), and again on the opened descriptor in case the path changed in between; the
    non-blocking open means a FIFO swapped in at that moment cannot hang us either. The cap
    is on the bytes actually read, as /proc files and the like state a size of 0.
    """
    why = _not_regular(os.stat(path).st_mode)
    if why is not None:
        raise ConfigError([f"{name}: {why}"])
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        why = _not_regular(info.st_mode)
        if why is not None:
            raise ConfigError([f"{name}: {why}"])
        if info.st_size > MAX_BYTES:
            raise _over_limit(name, f"{info.st_size} bytes")
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _over_limit(name, f"more than {MAX_BYTES} bytes")
    return data


def load_yaml_text(text: str, name: str) -> LoadedYaml:
    try:
        loader = _StrictLoader(text)  # checks the characters first
    except yaml.reader.ReaderError as exc:
        raise ConfigError([_bad_character(text, name, exc)]) from exc
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise ConfigError([f"{where}: {exc.problem or exc.context}"]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([f"{name}: not valid YAML ({_one_line(exc)})"]) from exc
    finally:
        loader.dispose()
    return LoadedYaml(name, data, root)


def _bad_character(text: str, name: str, exc: yaml.reader.ReaderError) -> str:
    """``FILE:LINE:COLUMN: character U+0000 is not allowed in YAML`` for a ReaderError."""
    before = text[: exc.position]
    line = before.count("\n") + 1
    column = exc.position - (before.rfind("\n") + 1) + 1
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or " ")
    return f"{name}:{line}:{column}: character U+{code:04X} is not allowed in YAML"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
