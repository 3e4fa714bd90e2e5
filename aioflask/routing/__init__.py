"""URL routing: rules, converters, and the map that matches paths and builds URLs.

See `map.py` for how matching works and `converters.py` for the variable types.
"""

from __future__ import annotations

from .converters import DEFAULT_CONVERTERS as DEFAULT_CONVERTERS
from .converters import AnyConverter as AnyConverter
from .converters import BaseConverter as BaseConverter
from .converters import FloatConverter as FloatConverter
from .converters import IntegerConverter as IntegerConverter
from .converters import PathConverter as PathConverter
from .converters import UnicodeConverter as UnicodeConverter
from .converters import UUIDConverter as UUIDConverter
from .converters import ValidationError as ValidationError
from .map import BuildError as BuildError
from .map import Map as Map
from .map import Rule as Rule
from .map import WebsocketMismatch as WebsocketMismatch
