"""A careful YAML reader for ranges and notes files.

Safe loading only, with YAML 1.1 surprises switched off: ``no``/``on`` stay text, ``010`` stays
text, no dates or base-60 numbers. Duplicate keys, anchors and aliases are refused, files over a
size cap are refused, and every node keeps its line so problems can be reported as FILE:LINE.
"""

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from b12check.errors import ConfigError

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
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ConfigError([f"{name}: {size} bytes is over the {MAX_BYTES}-byte limit"])
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc
    except OSError as exc:
        raise ConfigError([f"{name}: cannot read: {exc.strerror or exc}"]) from exc
    return load_yaml_text(text, name)


def load_yaml_text(text: str, name: str) -> LoadedYaml:
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise ConfigError([f"{where}: {exc.problem or exc.context}"]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([f"{name}: not valid YAML ({exc})"]) from exc
    finally:
        loader.dispose()
    return LoadedYaml(name, data, root)
