"""The ledger's table, through SQLAlchemy Core: an embedded SQLite file by default, or any server.

Writers are serialised so that two appends never fork the chain: on SQLite each append runs
in ``BEGIN IMMEDIATE`` (the file's write lock, taken before the head is read); on PostgreSQL
in a transaction holding an advisory lock keyed by the table; on any other database the
primary key on ``seq`` refuses the second of two racing appends, which then writes nothing.
Every statement is built by SQLAlchemy with bound parameters.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from .._i18n import N_, _
from ..checks import Recorder, Verification
from ..exceptions import DependencyError, LedgerError
from .chain import check_chain, row_hash
from .entries import COLUMNS, FIELDS, ZERO_HASH, LedgerEntry, LedgerHead, entry_hash
from .export import write_export

__all__ = ["DEFAULT_TABLE", "SQLITE_TIMEOUT", "Ledger"]

#: The table's name.
DEFAULT_TABLE = "ledger"
#: Seconds an SQLite writer waits for another writer's lock before giving up.
SQLITE_TIMEOUT = 120.0
_WRITE = "shuangsuiji_ledger_write"
_ROWS_PER_FETCH = 10_000


def _url(where: str | Path) -> sa.URL:
    """An SQLAlchemy URL (``...://...``) as given, or a file path as ``sqlite:///absolute path``."""
    if isinstance(where, str) and "://" in where:
        try:
            return sa.make_url(where)
        except sa_exc.ArgumentError as exc:
            raise LedgerError(_("Not a database URL: {url!r} ({error}).").format(url=where, error=exc)) from None
    return sa.URL.create("sqlite", database=str(Path(where).expanduser().resolve()))


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the library, not sqlite3, says when a transaction begins


def _sqlite_begin(conn: sa.Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


def _engine(url: sa.URL) -> sa.Engine:
    backend = url.get_backend_name()
    try:
        if backend != "sqlite":
            return sa.create_engine(url)
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_TIMEOUT})
    except ModuleNotFoundError as exc:
        hint = (
            "pip install 'shuangsuiji[postgresql]'"
            if backend == "postgresql"
            else _("install {module}").format(module=exc.name)
        )
        message = _("{module} is not installed, and a {backend} ledger needs it: {hint}.")
        raise DependencyError(message.format(module=exc.name, backend=backend, hint=hint)) from None
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError) as exc:
        message = _("Cannot use the database {url}: {error}.")
        raise LedgerError(message.format(url=url.render_as_string(hide_password=True), error=exc)) from None
    sa.event.listen(engine, "connect", _sqlite_connect)
    sa.event.listen(engine, "begin", _sqlite_begin)
    return engine


def _table(name: str, schema: str | None) -> sa.Table:
    columns: list[sa.Column[Any]] = [sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False)]
    columns += [sa.Column(f, sa.Text, nullable=False) for f in FIELDS]
    columns += [sa.Column("prev", sa.String(64), nullable=False), sa.Column("hash", sa.String(64), nullable=False)]
    indexes = [sa.Index(f"ix_{name}_year", "year"), sa.Index(f"ix_{name}_source", "source")]
    return sa.Table(name, sa.MetaData(), *columns, *indexes, schema=schema)


def _checked(entries: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    if isinstance(entries, LedgerEntry):
        raise LedgerError(_("append takes a list of entries; got one LedgerEntry (wrap it in a list)."))
    items = list(entries)
    for i, e in enumerate(items):
        if not isinstance(e, LedgerEntry):
            raise LedgerError(
                _("Entry {number} to append is not a LedgerEntry: {entry!r}.").format(number=i + 1, entry=e)
            )
        e.check()
    return items


def _frame(rows: Iterable[Any]) -> pd.DataFrame:
    """Rows as a frame: ``seq`` a whole number, every other column text, in :data:`COLUMNS` order."""
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(COLUMNS))
    frame["seq"] = frame["seq"].astype("int64")
    for column in COLUMNS[1:]:
        frame[column] = frame[column].astype("str")
    return frame


class Ledger:
    """An append-only record of every check of a year, each row chained to the one before it by SHA-256.

    Open one with :meth:`open`; the table is made on first use. See ``docs/ledger.md``.
    """

    def __init__(self, engine: sa.Engine, table: sa.Table, where: str) -> None:
        self._engine = engine
        self._table = table
        self.where = where
        digest = hashlib.sha256(f"shuangsuiji-ledger {table.schema or ''}.{table.name}".encode()).digest()
        self._lock_key = int.from_bytes(digest[:8], "big", signed=True)

    @classmethod
    def open(cls, where: str | Path, *, schema: str | None = None, create: bool = True) -> Ledger:
        """Open the ledger in a file (SQLite) or at an SQLAlchemy URL; make its table if absent.

        Parameters
        ----------
        where : str or Path
            A file path (``sqlite:///`` + its absolute path) or a URL such as
            ``postgresql+psycopg://user@host/db``.
        schema : str, optional
            The server schema holding the table ``ledger`` (it must exist); by default the
            connection's own (``search_path`` on PostgreSQL). Not for SQLite.
        create : bool
            Make the file and table if absent; with ``False`` a missing ledger is an error.

        Raises
        ------
        LedgerError
            If the database cannot be reached, holds a ``ledger`` table of another shape, or
            (``create=False``) has no ledger.
        DependencyError
            If the URL's driver is not installed (``pip install 'shuangsuiji[postgresql]'``).
        """
        url = _url(where)
        shown = url.render_as_string(hide_password=True)
        sqlite_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
        if sqlite_file and schema is not None:
            message = _("An SQLite ledger has no schema; got schema={schema!r} for {url}.")
            raise LedgerError(message.format(schema=schema, url=shown))
        if sqlite_file:
            path = Path(str(url.database))
            if not create and not path.is_file():
                raise LedgerError(_("There is no ledger at {path}.").format(path=path))
            path.parent.mkdir(parents=True, exist_ok=True)
        ledger = cls(_engine(url), _table(DEFAULT_TABLE, schema), shown)
        try:
            ledger._prepare(create)
        except BaseException:
            ledger.close()
            raise
        return ledger

    def _prepare(self, create: bool) -> None:
        name, schema = self._table.name, self._table.schema
        opening = self._write() if create else self._read()
        with self._errors(N_("be opened")), opening as conn:
            inspector = sa.inspect(conn)
            if inspector.has_table(name, schema=schema):
                found = {c["name"] for c in inspector.get_columns(name, schema=schema)}
                if found != set(COLUMNS):
                    message = _(
                        "{where}: the table {table!r} is not a shuangsuiji ledger "
                        "(columns {found}, expected {columns})."
                    )
                    raise LedgerError(
                        message.format(where=self.where, table=name, found=sorted(found), columns=list(COLUMNS))
                    )
            elif create:
                self._table.create(conn)
            else:
                raise LedgerError(
                    _("{where}: there is no ledger table {table!r}.").format(where=self.where, table=name)
                )

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Turn the database's errors into a :class:`LedgerError` saying what could not be done (``what``: N_)."""
        try:
            yield
        except sa_exc.IntegrityError as exc:
            message = _(
                "The ledger at {where} could not {what}: another writer appended at the same time "
                "and nothing was written; try again ({error})."
            )
            raise LedgerError(message.format(where=self.where, what=_(what), error=_first_line(exc))) from exc
        except sa_exc.SQLAlchemyError as exc:
            message = _("The ledger at {where} could not {what}: {error}")
            raise LedgerError(message.format(where=self.where, what=_(what), error=_first_line(exc))) from exc

    @contextlib.contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """A transaction that holds the ledger's write lock from its first statement."""
        with self._engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                if self._engine.dialect.name == "postgresql":
                    key = sa.bindparam("key", self._lock_key, type_=sa.BigInteger)
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))
                yield conn

    @contextlib.contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        """A read transaction (one consistent view of the table)."""
        with self._engine.connect() as conn, conn.begin():
            yield conn

    def _select(self) -> sa.Select[Any]:
        """Every column, in :data:`COLUMNS` order, rows in seq order."""
        t = self._table
        return sa.select(*(t.c[c] for c in COLUMNS)).order_by(t.c.seq)

    def _last(self, conn: sa.Connection) -> dict[str, Any] | None:
        t = self._table
        row = conn.execute(sa.select(*(t.c[c] for c in COLUMNS)).order_by(t.c.seq.desc()).limit(1)).first()
        return None if row is None else dict(zip(COLUMNS, row, strict=True))

    def append(self, entries: Iterable[LedgerEntry]) -> LedgerHead:
        """Append entries, all or nothing, in one transaction; return the new head.

        Raises
        ------
        LedgerError
            Naming the field and value of the first invalid entry (then nothing is written); if
            an entry's ``source`` is already in the ledger (a file added twice); if the last row
            does not match its hash (the ledger was changed: run :meth:`verify`).
        """
        items = _checked(entries)
        with self._errors(N_("append")), self._write() as conn:
            last = self._last(conn)
            if last is not None and last["hash"] != row_hash(last):
                message = _(
                    "{where}: the last row (seq {seq}) does not match its hash; the ledger was "
                    "changed. Nothing was appended; run verify."
                )
                raise LedgerError(message.format(where=self.where, seq=last["seq"]))
            seq, prev = (int(last["seq"]), str(last["hash"])) if last is not None else (0, ZERO_HASH)
            self._refuse_known(conn, {e.source for e in items if e.source})
            rows = []
            for entry in items:
                seq, digest = seq + 1, entry_hash(seq + 1, prev, entry)
                rows.append({"seq": seq, **entry.to_dict(), "prev": prev, "hash": digest})
                prev = digest
            if rows:
                conn.execute(sa.insert(self._table), rows)
        return LedgerHead(seq, prev)

    def _refuse_known(self, conn: sa.Connection, sources: set[str]) -> None:
        if not sources:
            return
        t = self._table
        known = conn.execute(sa.select(t.c.source).distinct().where(t.c.source.in_(sorted(sources)))).scalars()
        found = sorted(known)
        if found:
            message = _("{where}: already in the ledger: {sources}. Nothing was appended.")
            raise LedgerError(message.format(where=self.where, sources=", ".join(found)))

    def head(self) -> LedgerHead:
        """The head: the number of entries and the hash of the last (64 zeros when empty)."""
        with self._errors(N_("be read")), self._read() as conn:
            last = self._last(conn)
        return LedgerHead(0, ZERO_HASH) if last is None else LedgerHead(int(last["seq"]), str(last["hash"]))

    def _require_head(self, conn: sa.Connection, head: LedgerHead) -> None:
        if head.seq == 0 and head.hash == ZERO_HASH:
            return
        t = self._table
        found = conn.execute(sa.select(t.c.hash).where(t.c.seq == head.seq)).scalar()
        if found != head.hash:
            message = (
                _("{where}: seq {seq} with hash {hash} is not a head of this ledger (its row there has hash {found}).")
                if found is not None
                else _(
                    "{where}: seq {seq} with hash {hash} is not a head of this ledger (its row there does not exist)."
                )
            )
            raise LedgerError(message.format(where=self.where, seq=head.seq, hash=head.hash, found=found))

    def require_head(self, head: LedgerHead) -> None:
        """Check that ``head`` is a head of this chain (the row at its ``seq`` has its hash).

        Raises
        ------
        LedgerError
            If it is not, naming the row found there.
        """
        with self._errors(N_("be read")), self._read() as conn:
            self._require_head(conn, head)

    def frame(self, *, year: str | None = None, upto: LedgerHead | None = None) -> pd.DataFrame:
        """Every row in seq order: ``seq`` (a whole number), every entry field, ``prev`` and ``hash`` as text.

        Parameters
        ----------
        year : str, optional
            Only the rows of this year.
        upto : LedgerHead, optional
            Only the rows up to this head (``seq <= upto.seq``), which must be a head of this chain.

        Raises
        ------
        LedgerError
            If ``upto`` is not a head of this chain.
        """
        t = self._table
        stmt = self._select()
        if year is not None:
            stmt = stmt.where(t.c.year == year)
        with self._errors(N_("be read")), self._read() as conn:
            if upto is not None:
                self._require_head(conn, upto)
                stmt = stmt.where(t.c.seq <= upto.seq)
            return _frame(conn.execute(stmt))

    def sources(self) -> set[str]:
        """The distinct ``source`` values (what was added: ``manifest <sha256>``, ``results <sha256>`` ...)."""
        t = self._table
        with self._errors(N_("be read")), self._read() as conn:
            return {str(s) for s in conn.execute(sa.select(t.c.source).distinct()).scalars()}

    def verify(self, heads: Mapping[str, LedgerHead] | None = None) -> Verification:
        """Recompute the chain, and check that each recorded head (by name) is a head of it.

        The chain check names the first broken seq: seq consecutive from 1, each ``prev`` the
        hash of the row before, each ``hash`` recomputed from the row's fields. A deleted last row
        leaves a consistent chain; a head recorded after it (in a batch manifest) finds it.
        """
        rec = Recorder()

        def run() -> None:
            with self._errors(N_("be read")), self._read() as conn:
                result = conn.execution_options(yield_per=_ROWS_PER_FETCH).execute(self._select())
                check_chain(rec, (dict(zip(COLUMNS, row, strict=True)) for row in result), heads or {})

        rec.attempt(N_("ledger readable"), run)
        return rec.done()

    def export(self, path: str | Path) -> Path:
        """Write every row to ``.csv`` (UTF-8 with BOM), ``.xlsx`` (every cell text) or ``.parquet``, atomically.

        Raises
        ------
        LedgerError
            For another suffix, or a table XLSX cannot hold.
        """
        path = Path(path)
        write_export(self.frame, path)
        return path

    def close(self) -> None:
        """Close the ledger's connections."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Ledger({self.where!r})"


def _first_line(exc: sa_exc.SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
