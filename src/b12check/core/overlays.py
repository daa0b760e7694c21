"""Laying users' ranges files over the built-in data, and validating the result.

Merge rules (README, "Your lab's ranges"), applied file by file in the order given:
- ``units``, ``unit_spellings``, ``refused_codes``, ``companions``: entries are added or
  replaced by key.
- an analyte id that is new adds a whole analyte (every required field must be given);
- for an existing analyte, ``aliases``, ``loinc`` and ``units`` are added to, ``paired_edges``
  is merged unit by unit, ``bands`` replaces every band (and drops the built-in paired edges,
  which belonged to the old bands, unless the file gives its own), ``add_bands`` adds bands
  (for instance for one age group, with ``age: "[0, 18)"``); added bands for one sex or age
  group take the place of the bands already there for that same sex and group,
  ``guidelines`` are added or replaced by name, and any other field replaces the built-in
  value. Every band an overlay brings records the file it came from (``origin``).
"""

import copy
from pathlib import Path
from typing import Any

from b12check.core.errors import ConfigError
from b12check.core.models import RangesModel, validate_ranges
from b12check.core.yamlload import LoadedYaml, load_yaml_file

_TOP_LEVEL = {"version", "units", "unit_spellings", "refused_codes", "analytes", "companions"}
_ADDITIVE_LISTS = ("aliases", "loinc", "units")


def _tagged(bands: Any, origin: str) -> Any:
    """Bands from an overlay, each marked with the file it came from (unless it says)."""
    if not isinstance(bands, list):
        return bands
    return [{"origin": origin, **b} if isinstance(b, dict) else b for b in bands]


def _add_bands(existing: list[Any], added: list[Any]) -> list[Any]:
    """Added bands for one sex or one age group take the place of the bands already there for
    that same sex and age group; untagged ones are simply added."""

    def group(band: Any) -> tuple[Any, Any]:
        return (band.get("sex"), band.get("age")) if isinstance(band, dict) else (None, None)

    replaced = {group(band) for band in added} - {(None, None)}
    return [*(band for band in existing if group(band) not in replaced), *added]


def _merge_analyte(base: dict[str, Any], overlay: dict[str, Any], origin: str) -> dict[str, Any]:
    merged = dict(base)
    if "bands" in overlay:
        merged.pop("paired_edges", None)
    for key, value in overlay.items():
        if key == "bands":
            merged["bands"] = _tagged(value, origin)
        elif key == "add_bands" and isinstance(value, list):
            merged["bands"] = _add_bands(merged.get("bands", []), _tagged(value, origin))
        elif key == "guidelines" and isinstance(value, dict):
            guidelines = dict(merged.get("guidelines") or {})
            for name, guideline in value.items():
                if isinstance(guideline, dict):
                    guideline = {**guideline, "bands": _tagged(guideline.get("bands"), origin)}
                guidelines[name] = guideline
            merged["guidelines"] = guidelines
        elif key in _ADDITIVE_LISTS and isinstance(value, list):
            merged[key] = list(dict.fromkeys([*base.get(key, []), *value]))
        elif key == "paired_edges" and isinstance(value, dict):
            pairs = dict(merged.get("paired_edges") or {})
            for unit, edges in value.items():
                pairs[unit] = {**pairs.get(unit, {}), **edges} if isinstance(edges, dict) else edges
            merged[key] = pairs
        else:
            merged[key] = value
    return merged


def merge(base: dict[str, Any], overlay: dict[str, Any], origin: str = "overlay") -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key in ("units", "unit_spellings", "refused_codes", "companions"):
        if isinstance(overlay.get(key), dict):
            merged.setdefault(key, {}).update(overlay[key])
        elif key in overlay:
            merged[key] = overlay[key]
    analytes = overlay.get("analytes")
    if isinstance(analytes, dict):
        for analyte_id, fields in analytes.items():
            existing = merged["analytes"].get(analyte_id)
            if existing is not None and isinstance(fields, dict):
                merged["analytes"][analyte_id] = _merge_analyte(existing, fields, origin)
            elif isinstance(fields, dict):
                new = dict(fields)
                if "add_bands" in new:  # a new test: its added bands are simply its bands
                    new["bands"] = [*new.get("bands", []), *new.pop("add_bands")]
                new["bands"] = _tagged(new.get("bands"), origin)
                merged["analytes"][analyte_id] = new
            else:
                merged["analytes"][analyte_id] = fields
    elif "analytes" in overlay:
        merged["analytes"] = analytes
    return merged


def _shape_problems(loaded: LoadedYaml) -> list[str]:
    data = loaded.data
    if not isinstance(data, dict):
        return [f"{loaded.locate(())}: a ranges file must be a mapping with an 'analytes' key"]
    problems = [
        f"{loaded.locate((key,))}: unknown top-level key {key!r} "
        f"(expected one of {', '.join(sorted(_TOP_LEVEL))})"
        for key in data
        if key not in _TOP_LEVEL
    ]
    if data.get("version", 1) != 1:
        problems.append(f"{loaded.locate(('version',))}: only version 1 is understood")
    return problems


def apply_overlay(base: dict[str, Any], loaded: LoadedYaml) -> dict[str, Any]:
    """Merge one parsed file over ``base`` and validate; ConfigError lists every problem."""
    problems = _shape_problems(loaded)
    if problems:
        raise ConfigError(problems)
    merged = merge(base, loaded.data, loaded.path)
    merged["version"] = 1
    model, found = validate_ranges(merged)
    if model is None:
        raise ConfigError([f"{loaded.locate(loc)}: {message}" for loc, message in found])
    return dump(model)


def dump(model: RangesModel) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    return data


def apply_overlays(base: dict[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
    ranges = base
    for path in paths:
        ranges = apply_overlay(ranges, load_yaml_file(Path(path)))
    return ranges
