"""Lazy attributes for a package's ``__init__`` (private): names resolve on first use.

``import shuangsuiji`` must be quick and must not load OR-Tools, SciPy,
NetworkX, Dask or matplotlib (nor pandas, for ``shuangsuiji --help``), so a
package lists where each public name lives and imports that module only when
the name is first used (PEP 562 module ``__getattr__``).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
from collections.abc import Callable, Iterator, Mapping
from types import ModuleType

from ._i18n import N_, _
from .exceptions import DependencyError

__all__ = ["EXTRAS", "Missing", "attach", "extra"]

#: The optional parts of the library, by extra, and the packages each needs.
EXTRAS: Mapping[str, tuple[str, ...]] = {
    "assign": ("ortools", "scipy"),
    "dask": ("dask", "distributed"),
    "report": ("matplotlib",),
}
_WHAT = {"assign": N_("staffing visits"), "dask": N_("the Dask engine"), "report": N_("the report and the demo")}


@contextlib.contextmanager
def extra(name: str) -> Iterator[None]:
    """Turn a missing dependency of the extra ``name`` into a :class:`DependencyError` saying what to install.

    Raises
    ------
    DependencyError
        When an import inside the block fails for want of one of the extra's packages.
    """
    try:
        yield
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        if missing not in EXTRAS[name]:
            raise
        raise DependencyError(
            _("{package} is not installed, and {what} needs it: pip install 'shuangsuiji[{extra}]'.").format(
                package=missing, what=_(_WHAT[name]), extra=name
            )
        ) from None


class Missing:
    """Stands for a public name whose optional dependencies are not installed.

    The name still exists (``hasattr``, ``dir``, ``help`` and ``import *`` work); calling it raises
    the :class:`DependencyError` that says which extra to install.
    """

    def __init__(self, name: str, error: DependencyError) -> None:
        self.__name__ = self.__qualname__ = name.rsplit(".", 1)[-1]
        self.__doc__ = _("Not available: {error}").format(error=error)
        self._error = error

    def __call__(self, *args: object, **kwargs: object) -> object:
        raise self._error

    def __getattr__(self, attribute: str) -> object:
        raise AttributeError(
            _("{name}.{attribute} is not available: {error}").format(
                name=self.__name__, attribute=attribute, error=self._error
            )
        )

    def __repr__(self) -> str:
        return f"<{self.__name__}: not installed ({self._error})>"


def _extra_of(module: str) -> str | None:
    """The extra a module of the package needs, if any."""
    if module.startswith("shuangsuiji.assignment."):
        return "assign"
    return {"shuangsuiji.distributed": "dask", "shuangsuiji.report": "report"}.get(module)


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
        need = _extra_of(importlib.util.resolve_name(module_name, package))
        try:
            with extra(need) if need else contextlib.nullcontext():
                module: ModuleType = importlib.import_module(module_name, package)
        except DependencyError as error:
            value: object = Missing(f"{package}.{name}", error)
        else:
            value = getattr(module, name)
        vars(importlib.import_module(package))[name] = value  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(exports) | set(vars(importlib.import_module(package))))

    return __getattr__, __dir__
