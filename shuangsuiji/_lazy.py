"""Lazy attributes for a package's ``__init__`` (private): names resolve on first use.

``import shuangsuiji`` must be quick and must not load OR-Tools, SciPy,
NetworkX, Dask or matplotlib (nor pandas, for ``shuangsuiji --help``), so a
package lists where each public name lives and imports that module only when
the name is first used (PEP 562 module ``__getattr__``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from types import ModuleType

__all__ = ["attach"]


def attach(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` whose public names live in the given submodules.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping
        Public name -> module (relative to the package, e.g. ``".sampling"``).
    """

    def __getattr__(name: str) -> object:
        module_name = exports.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module: ModuleType = importlib.import_module(module_name, package)
        value = getattr(module, name)
        vars(importlib.import_module(package))[name] = value  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(exports) | set(vars(importlib.import_module(package))))

    return __getattr__, __dir__
