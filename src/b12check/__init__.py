"""b12check: read nutrient lab results against configurable reference ranges."""

__version__ = "0.1.0"
