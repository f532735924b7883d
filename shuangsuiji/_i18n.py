"""Messages in English and Chinese from one source (private): gettext with catalogs kept by Babel.

Every text the library shows a person is written once, in English, inside ``_()``
(``_("{path} is missing").format(path=path)``: a literal, never an f-string, so that
Babel finds it), and translated by the catalogs in ``shuangsuiji/locale/zh_CN/LC_MESSAGES/``
(``*.po`` kept in the repository, ``*.mo`` compiled from them by ``python -m tests.catalog``
and shipped in the package; ``tests/test_messages.py`` fails when a message has no
translation, when a translation drops a placeholder, or when a ``.mo`` is out of date).

The language is chosen once per process, first match wins:

1. :func:`set_language` (the command line's ``--lang zh|en``);
2. ``SHUANGSUIJI_LANG`` (``zh`` or ``en``);
3. the locale's message language, as gettext reads it: ``LANGUAGE``, ``LC_ALL``,
   ``LC_MESSAGES``, ``LANG`` (the first one set and not empty); Chinese when it names
   ``zh`` (``zh_CN.UTF-8``, ``zh_TW``, ``zh``), English otherwise (``C``, ``POSIX``, ``en_US``).

Only what a person reads follows the language: messages, warnings, ``verify`` lines,
help. A published file has one fixed language whatever the locale (the notices
Chinese, the machine tables' headers English), so its bytes never depend on who ran it;
code that writes one calls :func:`fixed` for its text, never :func:`_`.
"""

from __future__ import annotations

import gettext as _gettext
import os
import re
import string
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from importlib.resources import files as package_files

__all__ = [
    "LANGUAGES",
    "LANGUAGE_VARIABLE",
    "N_",
    "_",
    "detect_language",
    "fixed",
    "language",
    "ngettext",
    "placeholders",
    "set_language",
    "shown",
    "using_language",
]

#: The languages messages come in: English (as written in the source) and Chinese.
LANGUAGES = ("en", "zh")
#: The environment variable that chooses the language over the locale.
LANGUAGE_VARIABLE = "SHUANGSUIJI_LANG"
_LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
#: The language :func:`set_language` chose (``None``: the environment's).
_chosen: list[str | None] = [None]


def _language_of(value: str) -> str:
    return "zh" if value.strip().lower().replace("-", "_").startswith("zh") else "en"


def detect_language(environ: Mapping[str, str] | None = None) -> str:
    """The language the environment asks for (``"zh"`` or ``"en"``), ignoring :func:`set_language`.

    Examples
    --------
    >>> detect_language({"LANG": "zh_CN.UTF-8"})
    'zh'
    >>> detect_language({"LANG": "zh_CN.UTF-8", "SHUANGSUIJI_LANG": "en"})
    'en'
    >>> detect_language({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"})
    'en'
    >>> detect_language({})
    'en'
    """
    env = os.environ if environ is None else environ
    own = env.get(LANGUAGE_VARIABLE, "").strip()
    if own:
        return _language_of(own)
    for name in _LOCALE_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return _language_of(value.split(":")[0])
    return "en"


def set_language(lang: str | None) -> None:
    """Choose the language of messages for this process; ``None`` goes back to the environment's.

    ``lang`` is read as a locale's language is: ``zh`` (or ``zh_CN``, ``zh-Hans``) for Chinese,
    anything else English, as for ``LANG`` (the command line offers only ``zh`` and ``en``).

    Examples
    --------
    >>> set_language("zh_CN"); language()
    'zh'
    >>> set_language(None)
    """
    _chosen[0] = None if lang is None else _language_of(lang)


def language() -> str:
    """The language messages are shown in now: ``"zh"`` or ``"en"``."""
    return _chosen[0] if _chosen[0] is not None else detect_language()


@contextmanager
def using_language(lang: str) -> Iterator[None]:
    """Show messages in ``lang`` inside the block, then go back to the language before it."""
    before = _chosen[0]
    set_language(lang)
    try:
        yield
    finally:
        set_language(before)


@cache
def _catalog(lang: str) -> _gettext.NullTranslations:
    """Every compiled catalog of ``lang``, chained (English: the source's own text)."""
    chain: _gettext.NullTranslations = _gettext.NullTranslations()
    if lang == "en":
        return chain
    folder = package_files("shuangsuiji").joinpath("locale", "zh_CN", "LC_MESSAGES")
    for mo in sorted((p for p in folder.iterdir() if p.name.endswith(".mo")), key=lambda p: p.name):
        with mo.open("rb") as handle:
            part = _gettext.GNUTranslations(handle)
        part.add_fallback(chain)
        chain = part
    return chain


def _(message: str) -> str:
    """``message`` in the language of :func:`language`.

    Examples
    --------
    >>> with using_language("zh"):
    ...     _("error: ")
    '错误：'
    >>> with using_language("en"):
    ...     _("error: ")
    'error: '
    """
    return _catalog(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message for ``n``, in the language of :func:`language`."""
    return _catalog(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is defined; :func:`_` translates it where it is shown."""
    return message


def fixed(message: str, lang: str) -> str:
    """``message`` in ``lang`` whatever the process's language: for text written into a published file."""
    return _catalog(lang).gettext(message)


def shown(text: str) -> str:
    """Text kept in fixed English (a check's name, a draw's warning), shown in the language of messages.

    Such text is made from a template marked with :func:`N_` (``N_("input {role}").format(role=role)``)
    and stored as made, so that files and comparisons never depend on the language. To show it,
    the template it was made from is found among the catalog's messages (the one that matches the
    whole text with the most fixed characters), and its translation gets the same values; a text
    made from no known template is shown as it is.

    Examples
    --------
    >>> name = N_("output {name}").format(name="selection.csv")  # a check's name, as stored
    >>> with using_language("zh"):
    ...     print(shown(name), shown("text no template makes"))
    输出 selection.csv text no template makes
    """
    lang = language()
    catalog = _catalog(lang)
    exact = catalog.gettext(text)
    if exact != text or lang == "en":
        return exact
    for pattern, message in _templates(lang):
        found = pattern.fullmatch(text)
        if found is not None:
            values = dict(zip(_fields(message), found.groups(), strict=True))
            return "".join(literal + values.get(f, "") for literal, f in _pieces(catalog.gettext(message)))
    return text


def _pieces(template: str) -> list[tuple[str, str]]:
    """A template as (literal text, placeholder as written) pairs; the last placeholder may be empty."""
    out = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        field = (
            ""
            if name is None
            else "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        )
        out.append((literal, field))
    return out


def _fields(template: str) -> list[str]:
    return [f for _literal, f in _pieces(template) if f]


@cache
def _templates(lang: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Every message of the catalog with a placeholder, as a pattern, most fixed characters first.

    A template of fewer than three fixed characters (``{a}: {b}``) would match almost any text: it is left out.
    """
    found = []
    part: _gettext.NullTranslations | None = _catalog(lang)
    while isinstance(part, _gettext.GNUTranslations):
        for message in vars(part)["_catalog"]:
            if isinstance(message, str) and "{" in message:
                try:
                    pieces = _pieces(message)
                except ValueError:  # a brace that is not a placeholder
                    continue
                regex = "".join(re.escape(literal) + ("(.+?)" if f else "") for literal, f in pieces)
                fixed_chars = sum(len(literal) for literal, _f in pieces)
                if any(f for _literal, f in pieces) and len("".join(lit for lit, _f in pieces).strip()) >= 3:
                    found.append((fixed_chars, message, re.compile(regex, re.DOTALL)))
        part = vars(part).get("_fallback")
    found.sort(key=lambda t: (-t[0], t[1]))
    return tuple((pattern, message) for _n, message, pattern in found)


def placeholders(message: str) -> list[str]:
    """The ``{...}`` fields of a message, and argparse's ``%(...)s``, sorted, as written.

    Examples
    --------
    >>> placeholders("{n:,} rows in {path!r}, {{literal}} (default: %(default)s, 100%%)")
    ['%(default)s', '{n:,}', '{path!r}']
    """
    fields = re.findall(r"%\([a-z_]+\)[sdr]", message)
    for _text, name, spec, conversion in string.Formatter().parse(message):
        if name is not None:
            fields.append("{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}")
    return sorted(fields)
