"""almen: Danish social-housing letting policy as code.

The public API. Import it from here (`from almen import load_policy, PolicyError, FactError`);
the language lives in `almen.dsl`, the evaluation core and its tools in `almen.interpreter`,
whose public names these are.
"""

from __future__ import annotations

from almen import interpreter
from almen.interpreter import *  # noqa: F403

__all__ = list(interpreter.__all__)
