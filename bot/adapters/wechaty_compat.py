"""The one place that makes python-wechaty 0.10.7 importable and safe to import here.

Import wechaty only through `load_wechaty()`: it must run before the first `import wechaty`
anywhere in the process, because both fixes below act at import time.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from types import ModuleType

log = logging.getLogger(__name__)


def load_wechaty(cache_dir: Path) -> ModuleType:
    """Prepare the process for python-wechaty, import it and return the `wechaty` module."""
    # wechaty reads CACHE_DIR (default ./.wechaty, where its scheduler keeps job.db) when it
    # is imported, and creates the directory there and then.
    wanted = str(cache_dir)
    if "wechaty" in sys.modules:
        if os.environ.get("CACHE_DIR") != wanted:
            log.warning("wechaty already imported; CACHE_DIR stays %s", os.environ.get("CACHE_DIR"))
    else:
        cache_dir.mkdir(parents=True, exist_ok=True)
        os.environ["CACHE_DIR"] = wanted

    # Python 3.11 refuses the dataclass default `WechatyOptions.puppet_options =
    # PuppetOptions()` because PuppetOptions is unhashable (an eq dataclass). An identity hash
    # lets the import succeed. Side effect: every WechatyOptions shares that one default object
    # , so callers must always pass a fresh PuppetOptions.
    from wechaty_puppet.schemas.puppet import PuppetOptions

    if PuppetOptions.__hash__ is None:
        PuppetOptions.__hash__ = object.__hash__  # type: ignore[method-assign,assignment]

    import wechaty

    return wechaty
