#!/usr/bin/env python3
"""Lint SQLAlchemy, SQLModel and Flask-SQLAlchemy model code for what the
python-database-patterns skills teach against.

    python lint_models.py PATH...               # files or folders (recursively *.py)
    python lint_models.py --no-import app/      # source checks only, import nothing
    python lint_models.py --select ALL app/     # every rule, the legacy-style ones too
    python lint_models.py --format github app/  # annotations in a GitHub Actions log
    python lint_models.py --baseline lint-baseline.json app/   # CI: report only new findings

One finding per line: ``file:line: CODE [severity] reason (see references/<page>#<section>)``.
Two sources: the source code, read with ``ast`` (never executed), and, where the model files
import cleanly in a child process, their ``MetaData`` (tables, indexes, foreign keys, column
types as SQLAlchemy built them: mixins, ``type_annotation_map``, ``__table_args__`` and SQLModel
fields included). For a table the MetaData describes, its findings replace the AST's guesses.
Files that fail to import are summed up in one ``note:`` line on stderr; their source checks
still run. Alembic and Flask-Migrate folders (``env.py`` beside ``versions/``, or
``script.py.mako``) are skipped unless ``--include-migrations``. Nothing is written into the
project (no ``__pycache__``).

Silence a finding on purpose with a comment on its line: ``# lint: ignore[FK001]``
(several codes: ``# lint: ignore[FK001,TZ001]``), or ``# lint: ignore-file[CODE]``.

Exit status: 0 clean, 1 findings, 2 bad input. Needs Python 3.11+; the MetaData checks need
SQLAlchemy 2.x importable by the Python that runs this script (use the project's). With
SQLAlchemy 1.x only the version-neutral source checks run (never the LEG rules).
"""

from __future__ import annotations

import argparse
import ast
import collections
import importlib.metadata
import io
import json
import os
import re
import subprocess
import sys
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

__version__ = "0.1.0"  # the bundle's (skills/.claude-plugin/plugin.json)


@dataclass(frozen=True)
class Rule:
    severity: str  # error | warning | style
    reason: str
    ref: str  # references/<page>#<section>
    summary: str  # one line for --help
    default: bool = True  # reported unless --select says otherwise


RULES = {
    "SQL001": Rule(
        "error",
        "SQL built with {what} passed to text(): use bind parameters, text('... :name')",
        "queries.md#raw-sql-with-text",
        "text() given an f-string, % or .format() or + of values (not constants or identifiers)",
    ),
    "FK001": Rule(
        "warning",
        "foreign key {what} has no index (PostgreSQL and SQLite do not add one): "
        "add index=True or an Index leading with it",
        "models.md#indexes-on-foreign-keys",
        "foreign key whose columns lead no index, primary key or unique constraint",
    ),
    "TZ001": Rule(
        "warning",
        "DateTime without timezone=True{what}: use DateTime(timezone=True) and aware datetimes",
        "models.md#timezone-aware-datetimes",
        "DateTime / TIMESTAMP column type without timezone=True (also Mapped[datetime])",
    ),
    "NC001": Rule(
        "warning",
        "{what} without a naming_convention: each database names constraints its own way, "
        "so a later migration cannot drop or alter them by name on every backend",
        "migrations.md#naming-conventions",
        "models' MetaData, declarative base, SQLModel or Flask-SQLAlchemy db, no naming_convention",
    ),
    "ASY001": Rule(
        "warning",
        "relationship {what} lazy-loads on access (default lazy='select'), which raises "
        "MissingGreenlet under asyncio: set lazy= or load it with selectinload()",
        "async.md#relationships-missinggreenlet-and-three-fixes",
        "relationship() without lazy= in modules async code uses, never eager-loaded",
    ),
    "LEG001": Rule(
        "style",
        "session.query() is the 1.x API: use session.scalars(select(...))",
        "models.md#2x-style-only",
        "session.query(...) (1.x Query API)",
        default=False,
    ),
    "LEG002": Rule(
        "style",
        "declarative_base() is the 1.x API: subclass DeclarativeBase",
        "models.md#2x-style-only",
        "declarative_base() (1.x)",
        default=False,
    ),
    "LEG003": Rule(
        "style",
        "Column() attribute on a mapped class: use Mapped[...] = mapped_column()",
        "models.md#2x-style-only",
        "Column(...) assigned in a mapped class body",
        default=False,
    ),
    "LEG004": Rule(
        "style",
        "backref is legacy: declare both sides with back_populates",
        "models.md#2x-style-only",
        "backref= / backref(...)",
        default=False,
    ),
}
ASYNC_NAMES = {"AsyncSession", "async_sessionmaker", "create_async_engine", "async_scoped_session"}
EAGER_OPTIONS = {"selectinload", "joinedload", "subqueryload", "immediateload", "contains_eager"}
DATETIME_TYPES = {"DateTime", "TIMESTAMP"}
SA_MODULES = {"sqlalchemy", "sa", "sql", "sqla", "db"}  # db.text(): Flask-SQLAlchemy
NOT_SA_MODULES = {"datetime", "pendulum", "arrow", "pydantic", "typing", "time"}
MARKER = "@@lint_models@@"
SKIP_DIRS = {"venv", "site-packages", "node_modules", "__pycache__", "build", "dist"}
SQLMODEL_AWARE = (0, 0, 45)  # SQLModel maps datetime to its aware UTCDateTime from this version


@dataclass
class Finding:
    path: Path
    line: int
    code: str
    what: str = ""
    scope: tuple | None = None  # a table the MetaData may speak for instead

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    @property
    def message(self) -> str:
        return self.rule.reason.format(what=self.what)

    @property
    def link(self) -> str:
        return f"references/{self.rule.ref}"


def display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def installed_version(distribution: str) -> str | None:
    """The version of a package installed for the Python running this script, never importing it."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


# ---------------------------------------------------------------------------- AST helpers


def name_of(node: ast.AST | None) -> str:
    """The last name of a dotted expression: sa.orm.relationship -> relationship."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return name_of(node.func)
    return ""


def kwarg(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def is_call_to(node: ast.AST | None, *names: str) -> bool:
    return isinstance(node, ast.Call) and name_of(node.func) in names


def given(node: ast.expr | None) -> bool:
    """A keyword passed with a value other than None."""
    return node is not None and not (isinstance(node, ast.Constant) and node.value is None)


def column_ref(node: ast.expr) -> str | None:
    """ "author_id", author_id, Post.author_id, table.c.author_id -> author_id."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, (ast.Name, ast.Attribute)):
        return name_of(node)
    return None


def names_datetime(annotation: ast.expr) -> bool:
    """Mapped[datetime], Mapped[datetime | None], Mapped[dt.datetime]; not datetime.date."""
    attribute_values = {id(n.value) for n in ast.walk(annotation) if isinstance(n, ast.Attribute)}
    for node in ast.walk(annotation):
        if isinstance(node, ast.Attribute) and node.attr == "datetime":
            return True
        if (
            isinstance(node, ast.Name)
            and node.id == "datetime"
            and id(node) not in attribute_values
        ):
            return True
    return False


def ignored_codes(source: str) -> dict[int, set[str]]:
    """Line -> codes silenced by ``# lint: ignore[CODE,...]``; 0 -> ``# lint: ignore-file[...]``."""
    found: dict[int, set[str]] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type != tokenize.COMMENT:
                continue
            for marker, line in (("lint: ignore[", token.start[0]), ("lint: ignore-file[", 0)):
                if marker in token.string:
                    inside = token.string.split(marker, 1)[1].split("]", 1)[0]
                    codes = {code.strip() for code in inside.split(",") if code.strip()}
                    found.setdefault(line, set()).update(codes)
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


# ---- SQL001: which interpolated values are constants or identifiers, not data

CONSTANT_NAME = re.compile(r"_*[A-Z][A-Z0-9_]*")
IDENTIFIER_NAME = re.compile(
    r"(?:^|_)(?:tables?|tablename|columns?|cols?|schema|constraint|sequence|ident|identifier"
    r"|quoted)(?:_|$)"
)
IDENTIFIER_ATTRS = {"__tablename__", "fullname", "name", "key", "schema"}
SAFE_CALLS = {"int", "float", "len", "bool", "abs", "round", "quote", "quote_identifier"}
SAFE_CALLS |= {"quoted_name", "format_table", "format_column", "format_index"}
IDENTIFIER_BEFORE = re.compile(
    r"(?:\b(?:from|join|update|into|table|exists|index|on|schema|sequence|truncate"
    r"|references|by|view|trigger|column|as)\s+|[.\"`])$",
    re.IGNORECASE,
)


@dataclass
class ColumnDecl:
    key: str
    line: int
    call: (
        ast.Call | None
    )  # mapped_column / Column / SQLModel Field(...), None for a bare annotation
    annotation: ast.expr | None = None
    path: Path | None = None  # the file declaring it (a mixin's, for an inherited column)
    sqlmodel: bool = False


@dataclass
class TableDecl:
    """A mapped class body or a Table(...) call: what the AST can tell about one table."""

    path: Path
    line: int
    name: str | None  # the table name, when written as a string
    scope: tuple
    columns: list[ColumnDecl] = field(default_factory=list)
    leading: set[str] = field(default_factory=set)  # columns leading an index / PK / unique


@dataclass
class ModuleInfo:
    path: Path
    tree: ast.Module
    ignores: dict[int, set[str]]
    lines: list[str] = field(default_factory=list)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    imports: set[str] = field(default_factory=set)  # last parts of imported module names
    absolute_imports: set[str] = field(default_factory=set)  # dotted names, for import roots
    aliases: dict[str, tuple[str, str]] = field(default_factory=dict)  # local -> (module, name)
    constants: set[str] = field(default_factory=set)  # module-level names bound to literals
    in_function: set[int] = field(default_factory=set)  # ids of nodes inside a def or lambda
    uses_async: bool = False
    tables: list[TableDecl] = field(default_factory=list)
    defines_models: bool = False


def is_literal(node: ast.expr | None) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(is_literal(e) for e in node.elts)
    if isinstance(node, ast.JoinedStr):
        return all(isinstance(v, ast.Constant) for v in node.values)
    return False


class Project:
    """Everything the AST checks learn across all scanned files."""

    def __init__(self, modules: list[ModuleInfo], sqlmodel_naive: bool = False) -> None:
        self.modules = modules
        self.sqlmodel_naive = sqlmodel_naive  # the installed SQLModel maps datetime to DateTime()
        self.findings: list[Finding] = []
        self.eager: set[tuple[str, str]] = set()
        self.datetime_in_type_map = False
        self.base_names: set[str] = set()  # classes/variables that are declarative bases
        self.sqlmodel_names: set[str] = {"SQLModel"}  # SQLModel and its subclasses
        self.flask_dbs: set[str] = {"db"}  # names bound to Flask-SQLAlchemy's SQLAlchemy()
        self.naming_convention_set = False  # some `x.naming_convention = ...` in the project
        self.classes: dict[str, list[tuple[ModuleInfo, ast.ClassDef]]] = {}
        self.sqlmodel_tables: list[tuple[ModuleInfo, ast.ClassDef]] = []
        self.index_refs: dict[str, set[str]] = {}  # class or table var -> columns leading an Index
        self.lazy_relationships: list[tuple[ModuleInfo, int, str, str]] = []

    # ---- pass 1: project-wide facts
    def survey(self) -> None:
        for module in self.modules:
            self._survey_module(module)
        for module in self.modules:
            for cls in module.classes.values():
                for base in cls.bases:
                    receiver = base.value if isinstance(base, ast.Attribute) else None
                    if name_of(base) == "Model" and name_of(receiver) in self.flask_dbs:
                        self.base_names.add("Model")  # Flask-SQLAlchemy's db.Model
        changed = True
        while changed:  # subclasses of SQLModel; of a base when they hold no table (mixins)
            changed = False
            for module in self.modules:
                for cls in module.classes.values():
                    bases = {name_of(b) for b in cls.bases}
                    if cls.name not in self.sqlmodel_names and bases & self.sqlmodel_names:
                        self.sqlmodel_names.add(cls.name)
                        changed = True
                    if cls.name not in self.base_names and not self.has_table(cls):
                        if bases & self.base_names:
                            self.base_names.add(cls.name)
                            changed = True

    def _survey_module(self, module: ModuleInfo) -> None:
        for stmt in module.tree.body:
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and is_literal(stmt.value):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                module.constants.update(t.id for t in targets if isinstance(t, ast.Name))
        for node in ast.walk(module.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                module.in_function.update(id(n) for n in ast.walk(node) if n is not node)
            if isinstance(node, (ast.Name, ast.Attribute)) and name_of(node) in ASYNC_NAMES:
                module.uses_async = True
            elif isinstance(node, ast.alias) and node.name.split(".")[-1] in ASYNC_NAMES:
                module.uses_async = True
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    module.imports.add(alias.name.split(".")[-1])
                    module.absolute_imports.add(alias.name)
                    local = alias.asname or alias.name.split(".")[0]
                    module.aliases[local] = (alias.name if alias.asname else local, "")
            elif isinstance(node, ast.ImportFrom):
                source = "." * node.level + (node.module or "")
                if node.module:
                    module.imports.add(node.module.split(".")[-1])
                for alias in node.names:
                    module.imports.add(alias.name)  # from pkg import models
                    module.aliases[alias.asname or alias.name] = (source, alias.name)
                    if node.level == 0 and node.module:
                        module.absolute_imports.add(f"{node.module}.{alias.name}")
            elif isinstance(node, ast.ClassDef):
                module.classes[node.name] = node
                self.classes.setdefault(node.name, []).append((module, node))
                if any(
                    name_of(base) in ("DeclarativeBase", "DeclarativeBaseNoMeta")
                    for base in node.bases
                ):
                    self.base_names.add(node.name)
            elif isinstance(node, ast.Assign) and is_call_to(node.value, "declarative_base"):
                self.base_names.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.Assign) and is_call_to(node.value, "SQLAlchemy"):
                self.flask_dbs.update(name_of(t) for t in node.targets)
            elif isinstance(node, ast.Call):
                self._survey_call(node)
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                if isinstance(target, ast.Attribute) and (
                    target.attr == "naming_convention"  # SQLModel.metadata.naming_convention = {}
                    or (  # SQLModel.metadata = MetaData(naming_convention=...)
                        target.attr == "metadata"
                        and is_call_to(node.value, "MetaData")
                        and kwarg(node.value, "naming_convention") is not None  # type: ignore[arg-type]
                    )
                ):
                    self.naming_convention_set = True
                if name_of(target) == "type_annotation_map" and isinstance(node.value, ast.Dict):
                    if any(name_of(key) == "datetime" for key in node.value.keys):
                        self.datetime_in_type_map = True

    def _survey_call(self, node: ast.Call) -> None:
        func = name_of(node.func)
        if func == "update" and name_of(getattr(node.func, "value", None)) == "naming_convention":
            self.naming_convention_set = True  # metadata.naming_convention.update({...})
        elif func in EAGER_OPTIONS:
            for arg in node.args:
                target = arg.func.value if is_call_to(arg, "of_type") else arg  # type: ignore[union-attr]
                if isinstance(target, ast.Attribute):
                    self.eager.add((name_of(target.value), target.attr))
        elif func == "Index" and len(node.args) > 1:
            first = node.args[1]
            if isinstance(first, ast.Attribute):
                owner = first.value
                if isinstance(owner, ast.Attribute) and owner.attr == "c":
                    owner = owner.value
                self.index_refs.setdefault(name_of(owner), set()).add(first.attr)

    @staticmethod
    def body_assigns(cls: ast.ClassDef, name: str) -> ast.expr | None:
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign) and any(name_of(t) == name for t in stmt.targets):
                return stmt.value
            if isinstance(stmt, ast.AnnAssign) and name_of(stmt.target) == name:
                return stmt.value
        return None

    def is_sqlmodel_table(self, cls: ast.ClassDef) -> bool:
        """class Hero(SQLModel, table=True), or a subclass of a SQLModel class with table=True."""
        return is_true(kwarg(cls, "table")) and any(  # type: ignore[arg-type]
            name_of(b) in self.sqlmodel_names for b in cls.bases
        )

    def has_table(self, cls: ast.ClassDef) -> bool:
        return self.is_sqlmodel_table(cls) or any(
            self.body_assigns(cls, n) is not None for n in ("__tablename__", "__table__")
        )

    def is_mapped(self, cls: ast.ClassDef) -> bool:
        return self.has_table(cls) or any(name_of(b) in self.base_names for b in cls.bases)

    # ---- pass 2: per-module checks
    def check(self, module: ModuleInfo) -> None:
        self.session_names = self._session_names(module.tree)
        self.parents = {
            id(child): parent
            for parent in ast.walk(module.tree)
            for child in ast.iter_child_nodes(parent)
        }
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ClassDef):
                self._check_class(module, node)
            elif isinstance(node, ast.Call):
                self._check_call(module, node)
        self._check_datetime_types(module, module.tree, scope=None)

    def check_project(self) -> None:
        """SQLModel.metadata is one object for the whole project: one NC001 at its first table."""
        if self.sqlmodel_tables and not self.naming_convention_set:
            module, cls = min(self.sqlmodel_tables, key=lambda mc: (str(mc[0].path), mc[1].lineno))
            self.add(module.path, cls.lineno, "NC001", what="SQLModel.metadata")

    def add(
        self, path: Path, line: int, code: str, what: str = "", scope: tuple | None = None
    ) -> None:
        self.findings.append(Finding(path, line, code, what, scope))

    def _session_names(self, tree: ast.Module) -> set[str]:
        """Names bound to a session: annotated Session/AsyncSession, or `with Session(...) as s`."""
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.arg) and node.annotation is not None:
                if "Session" in ast.unparse(node.annotation):
                    names.add(node.arg)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    ctx = item.context_expr
                    called = name_of(ctx.func) if isinstance(ctx, ast.Call) else ""
                    if "session" in called.lower() and isinstance(item.optional_vars, ast.Name):
                        names.add(item.optional_vars.id)
        return names

    def _check_call(self, module: ModuleInfo, call: ast.Call) -> None:
        func = name_of(call.func)
        path = module.path
        if func == "query" and isinstance(call.func, ast.Attribute):
            receiver = call.func.value
            label = name_of(receiver)
            if "session" in label.lower() or label in self.session_names:
                self.add(path, call.lineno, "LEG001")
        elif func == "declarative_base":
            self.add(path, call.lineno, "LEG002")
            if kwarg(call, "metadata") is None and not self.naming_convention_set:
                self.add(path, call.lineno, "NC001", what="declarative_base()")
        elif func == "backref" or kwarg(call, "backref") is not None:
            self.add(path, call.lineno, "LEG004")
        elif func == "MetaData" and kwarg(call, "naming_convention") is None:
            if self._models_metadata(module, call):
                self.add(path, call.lineno, "NC001", what="MetaData()")
        elif func == "SQLAlchemy" and module.aliases.get("SQLAlchemy", ("", ""))[0].startswith(
            "flask_sqlalchemy"
        ):
            bare = kwarg(call, "metadata") is None and kwarg(call, "model_class") is None
            if bare and not self.naming_convention_set:
                self.add(path, call.lineno, "NC001", what="Flask-SQLAlchemy SQLAlchemy()")
        elif func == "text" and call.args and self._is_sa_text(call.func):
            how = self._string_building(module, call.args[0])
            if how:
                self.add(path, call.lineno, "SQL001", what=how)
        elif func == "Table" and len(call.args) >= 2:
            name = call.args[0].value if isinstance(call.args[0], ast.Constant) else None
            table = TableDecl(module.path, call.lineno, name, ("table", name))
            for arg in call.args[2:]:
                if is_call_to(arg, "Column") and arg.args and isinstance(arg.args[0], ast.Constant):  # type: ignore[union-attr]
                    column_name = str(arg.args[0].value)  # type: ignore[union-attr]
                    table.columns.append(ColumnDecl(column_name, arg.lineno, arg, path=path))  # type: ignore[arg-type]
                elif isinstance(arg, ast.Call):
                    self._leading_from_constraint(arg, table)
            module.tables.append(table)
            module.defines_models = True
            self._check_foreign_keys(table, str(name))
            self._check_datetime_types(module, call, scope=table.scope)

    def _models_metadata(self, module: ModuleInfo, call: ast.Call) -> bool:
        """A MetaData() the models use: at module or class level, not one made for reflection."""
        if id(call) in module.in_function:
            return False
        parent = self.parents.get(id(call))
        targets = parent.targets if isinstance(parent, ast.Assign) else []
        names = {ast.unparse(t) for t in targets}
        for node in ast.walk(module.tree):
            if not names:
                break
            if isinstance(node, ast.Call):
                receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
                if name_of(node.func) == "reflect" and receiver and ast.unparse(receiver) in names:
                    return False
                autoload = kwarg(node, "autoload_with") or kwarg(node, "autoload")
                if name_of(node.func) == "Table" and autoload is not None and len(node.args) > 1:
                    if ast.unparse(node.args[1]) in names:
                        return False
            elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Attribute):
                target = node.targets[0]
                if target.attr == "naming_convention" and ast.unparse(target.value) in names:
                    return False
        return True

    @staticmethod
    def _is_sa_text(func: ast.expr) -> bool:
        if isinstance(func, ast.Name):
            return True
        return (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in SA_MODULES
        )

    # ---- SQL001
    @staticmethod
    def _constant(module: ModuleInfo, expr: ast.expr) -> bool:
        """A literal, int()/float() of anything, a module constant or an UPPER_CASE name."""
        if isinstance(expr, ast.Constant):
            return True
        if isinstance(expr, ast.Call):
            return name_of(expr.func) in SAFE_CALLS
        if isinstance(expr, ast.Name):
            return bool(CONSTANT_NAME.fullmatch(expr.id)) or expr.id in module.constants
        if isinstance(expr, ast.Attribute):
            return bool(CONSTANT_NAME.fullmatch(expr.attr))
        return False

    def _trusted(self, module: ModuleInfo, expr: ast.expr) -> bool:
        """A constant, an identifier (table.name, Model.__tablename__, table_name) or a class
        attribute (cls.x, Model.x): code chose it, not a user."""
        if self._constant(module, expr):
            return True
        if isinstance(expr, ast.Name):
            return bool(IDENTIFIER_NAME.search(expr.id.lower()))
        if isinstance(expr, ast.Attribute):
            if expr.attr in IDENTIFIER_ATTRS or IDENTIFIER_NAME.search(expr.attr.lower()):
                return True
            owner = expr.value
            return isinstance(owner, ast.Name) and (owner.id == "cls" or owner.id[:1].isupper())
        if isinstance(expr, ast.Subscript):
            return self._trusted(module, expr.value)
        return False

    def _string_building(self, module: ModuleInfo, arg: ast.expr) -> str:
        if isinstance(arg, ast.JoinedStr):
            return "an f-string" if self._fstring_has_data(module, arg) else ""
        if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mod):
            right = arg.right
            values = right.elts if isinstance(right, ast.Tuple) else [right]
            if isinstance(right, ast.Dict):
                values = [v for v in right.values if v is not None]
            return "" if all(self._trusted(module, v) for v in values) else "% formatting"
        if is_call_to(arg, "format") and isinstance(arg.func, ast.Attribute):  # type: ignore[union-attr]
            values = [*arg.args, *(k.value for k in arg.keywords)]  # type: ignore[union-attr]
            return "" if all(self._trusted(module, v) for v in values) else ".format()"
        if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Add):
            leaves, stack = [], [arg]
            while stack:
                node = stack.pop()
                if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
                    stack += [node.left, node.right]
                else:
                    leaves.append(node)
            if not all(self._trusted(module, leaf) for leaf in leaves):
                return "+ concatenation"
        return ""

    def _fstring_has_data(self, module: ModuleInfo, arg: ast.JoinedStr) -> bool:
        """A value formatted in where data goes: inside '...' unless a constant; elsewhere
        unless a constant, an identifier or where SQL puts an identifier (FROM {x}, {x}.col).
        SET and DDL take no bind parameters; int() makes a value safe."""
        parts = arg.values
        for i, part in enumerate(parts):
            if not isinstance(part, ast.FormattedValue):
                continue
            before = parts[i - 1].value if i and isinstance(parts[i - 1], ast.Constant) else ""  # type: ignore[attr-defined]
            following = parts[i + 1] if i + 1 < len(parts) else None
            after = following.value if isinstance(following, ast.Constant) else ""
            if str(before).rstrip("%").endswith("'"):  # a quoted value: '{x}'
                if not self._constant(module, part.value):
                    return True
                continue
            identifier = IDENTIFIER_BEFORE.search(str(before)) or re.match(r"[.\"`]\w", str(after))
            if not (identifier or self._trusted(module, part.value)):
                return True
        return False

    @staticmethod
    def _leading_from_constraint(call: ast.Call, table: TableDecl) -> None:
        """Index("ix", "a", "b") / UniqueConstraint("a") / PrimaryKeyConstraint("a"): a leads."""
        kind = name_of(call.func)
        args = call.args[1:] if kind == "Index" else call.args
        if kind in ("Index", "UniqueConstraint", "PrimaryKeyConstraint") and args:
            ref = column_ref(args[0])
            if ref:
                table.leading.add(ref)

    # ---- mapped classes
    def _inherited_bodies(
        self, module: ModuleInfo, cls: ast.ClassDef, seen: set[int] | None = None
    ) -> list[tuple[ModuleInfo, ast.ClassDef]]:
        """The class and the project classes it inherits columns from: mixins and SQLModel
        classes without a table of their own, not declarative bases (mapped on their own)."""
        seen = seen if seen is not None else set()
        seen.add(id(cls))
        found = [(module, cls)]
        for base in cls.bases:
            for owner, base_cls in self.classes.get(name_of(base), [])[:1]:
                if id(base_cls) in seen or self.has_table(base_cls) or self.is_mapped(base_cls):
                    continue
                if base_cls.name in self.base_names:
                    continue
                found += self._inherited_bodies(owner, base_cls, seen)
        return found

    def _check_class(self, module: ModuleInfo, cls: ast.ClassDef) -> None:
        if any(name_of(b) in ("DeclarativeBase",) for b in cls.bases):
            metadata = self.body_assigns(cls, "metadata")
            if metadata is None and self.body_assigns(cls, "registry") is None:
                self.add(module.path, cls.lineno, "NC001", what=f"declarative base {cls.name}")
        if not self.is_mapped(cls):
            return
        module.defines_models = True
        sqlmodel = self.is_sqlmodel_table(cls)
        if sqlmodel:
            self.sqlmodel_tables.append((module, cls))
        tablename = self.body_assigns(cls, "__tablename__")
        name = tablename.value if isinstance(tablename, ast.Constant) else None
        if name is None and sqlmodel:
            name = cls.name.lower()  # SQLModel's default table name
        table = TableDecl(module.path, cls.lineno, name, ("class", str(module.path), cls.name))
        for owner, body_cls in self._inherited_bodies(module, cls):
            from_sqlmodel = sqlmodel or body_cls.name in self.sqlmodel_names
            for stmt in body_cls.body:
                self._class_statement(owner, cls, stmt, table, from_sqlmodel)
            if body_cls is not cls:
                self._check_datetime_types(owner, body_cls, scope=table.scope)
        table.leading |= self.index_refs.get(cls.name, set())
        module.tables.append(table)
        self._check_foreign_keys(table, name or cls.name)
        self._check_datetime_types(module, cls, scope=table.scope)
        self._check_datetime_annotations(table)

    def _class_statement(
        self, module: ModuleInfo, cls: ast.ClassDef, stmt: ast.stmt, table: TableDecl, sqlm: bool
    ) -> None:
        annotation: ast.expr | None = None
        if isinstance(stmt, ast.FunctionDef) and any(
            "declared_attr" in ast.unparse(d) for d in stmt.decorator_list
        ):  # a mixin's @declared_attr def owner_id(cls): return Column(ForeignKey(...))
            returned = [r for r in ast.walk(stmt) if isinstance(r, ast.Return)]
            if len(returned) == 1 and is_call_to(returned[0].value, "Column", "mapped_column"):
                call = returned[0].value
                decl = ColumnDecl(stmt.name, returned[0].lineno, call, stmt.returns, module.path)  # type: ignore[arg-type]
                table.columns.append(decl)
            return
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            target, value, annotation = stmt.target, stmt.value, stmt.annotation
        else:
            return
        if not isinstance(target, ast.Name):
            return
        if target.id == "__table_args__" and value is not None:
            for node in ast.walk(value):
                if isinstance(node, ast.Call):
                    self._leading_from_constraint(node, table)
            return

        def column(call: ast.Call | None) -> None:
            decl = ColumnDecl(target.id, stmt.lineno, call, annotation, module.path, sqlm)
            table.columns.append(decl)

        if is_call_to(value, "Column"):
            self.add(module.path, stmt.lineno, "LEG003")
        if is_call_to(value, "Column", "mapped_column"):
            column(value)  # type: ignore[arg-type]
        elif sqlm and is_call_to(value, "Field"):
            sa_column = kwarg(value, "sa_column")  # type: ignore[arg-type]
            column(sa_column if is_call_to(sa_column, "Column") else value)  # type: ignore[arg-type]
        elif is_call_to(value, "relationship", "Relationship"):
            if self._sets_lazy(value) or (  # type: ignore[arg-type]
                annotation is not None
                and name_of(getattr(annotation, "value", None))
                in ("WriteOnlyMapped", "DynamicMapped")
            ):
                return  # these never load on attribute access
            self.lazy_relationships.append((module, stmt.lineno, cls.name, target.id))
        elif annotation is not None and value is None and "Mapped" in ast.unparse(annotation):
            column(None)
        elif sqlm and annotation is not None and "ClassVar" not in ast.unparse(annotation):
            column(None)  # a SQLModel field: `name: str` or `name: str = "default"`

    @staticmethod
    def _sets_lazy(call: ast.Call) -> bool:
        """relationship(lazy=...); SQLModel: Relationship(sa_relationship_kwargs={"lazy": ...})."""
        if kwarg(call, "lazy") is not None:
            return True
        options = kwarg(call, "sa_relationship_kwargs")
        if isinstance(options, ast.Dict):
            return any(isinstance(k, ast.Constant) and k.value == "lazy" for k in options.keys)
        inner = kwarg(call, "sa_relationship")
        return is_call_to(inner, "relationship") and kwarg(inner, "lazy") is not None  # type: ignore[arg-type]

    def _check_foreign_keys(self, table: TableDecl, label: str) -> None:
        if table.name:
            table.leading |= self.index_refs.get(table.name, set())
        primary = [
            c.key
            for c in table.columns
            if c.call is not None and is_true(kwarg(c.call, "primary_key"))
        ]
        if primary:  # a (composite) primary key's index leads with its first column
            table.leading.add(primary[0])
        for column in table.columns:
            call = column.call
            if call is None:
                continue
            references = any(is_call_to(arg, "ForeignKey") for arg in call.args)
            if name_of(call.func) == "Field":
                references = given(kwarg(call, "foreign_key"))
            if not references:
                continue
            if (
                is_true(kwarg(call, "index"))
                or is_true(kwarg(call, "unique"))
                or column.key in table.leading
            ):
                continue
            path = column.path or table.path
            self.add(path, column.line, "FK001", what=f"{label}({column.key})", scope=table.scope)

    def _type_name(self, module: ModuleInfo, node: ast.expr) -> str:
        """DateTime / sa.DateTime / an alias of SQLAlchemy's DateTime -> DateTime; '' for
        datetime imported as DateTime, or a class of the module's own."""
        if isinstance(node, ast.Attribute):
            return node.attr
        if not isinstance(node, ast.Name):
            return ""
        source, original = module.aliases.get(node.id, ("", node.id))
        if source.split(".")[0] in NOT_SA_MODULES or node.id in module.classes:
            return ""
        return original or node.id

    def _type_positions(self, root: ast.AST) -> list[ast.expr]:
        """Expressions given as a column's type: Column(..., T) / mapped_column(T), type_=,
        sa_type=, existing_type=, type_annotation_map values. Not cast(), @compiles()..."""
        found: list[ast.expr] = []
        for node in ast.walk(root):
            if isinstance(node, ast.Call):
                if name_of(node.func) in ("Column", "mapped_column"):
                    found += node.args
                found += [
                    k.value
                    for k in node.keywords
                    if k.arg in ("type_", "existing_type", "sa_type")
                    or (k.arg == "type_annotation_map" and isinstance(k.value, ast.Dict))
                ]
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                if name_of(target) == "type_annotation_map" and isinstance(node.value, ast.Dict):
                    found.append(node.value)
        expanded: list[ast.expr] = []
        for expr in found:
            if isinstance(expr, ast.Dict):
                expanded += [v for v in expr.values if v is not None]
            else:
                expanded.append(expr)
        types = []
        for expr in expanded:  # DateTime().with_variant(...): the DateTime() is the type
            while is_call_to(expr, "with_variant", "evaluates_none") and isinstance(
                expr.func,  # type: ignore[attr-defined]
                ast.Attribute,
            ):
                expr = expr.func.value  # type: ignore[attr-defined]
            types.append(expr)
        return types

    def _check_datetime_types(self, module: ModuleInfo, root: ast.AST, scope: tuple | None) -> None:
        """DateTime / DateTime() without timezone=True where a column's type is given."""
        skip: set[int] = set()
        if scope is None:  # module level: skip what a mapped class or Table() holds (own scope)
            skip = {
                id(n)
                for c in ast.walk(root)
                if isinstance(c, ast.ClassDef) and self.is_mapped(c)
                for n in ast.walk(c)
            }
            tables = [n for n in ast.walk(root) if is_call_to(n, "Table")]
            skip |= {id(n) for t in tables for n in ast.walk(t)}
        for node in self._type_positions(root):
            if id(node) in skip:
                continue
            called = isinstance(node, ast.Call)
            if self._type_name(module, node.func if called else node) not in DATETIME_TYPES:  # type: ignore[attr-defined]
                continue
            if called and (
                is_true(kwarg(node, "timezone")) or (node.args and is_true(node.args[0]))
            ):  # type: ignore[arg-type,attr-defined]
                continue
            self.add(module.path, node.lineno, "TZ001", scope=scope)

    def _check_datetime_annotations(self, table: TableDecl) -> None:
        """Mapped[datetime] with no type given (DateTime() unless type_annotation_map says
        otherwise); a SQLModel datetime field where SQLModel < 0.0.45 maps it to DateTime()."""
        for column in table.columns:
            if column.annotation is None or not names_datetime(column.annotation):
                continue
            call = column.call
            if column.sqlmodel:
                if not self.sqlmodel_naive or name_of(getattr(call, "func", None)) == "Column":
                    continue
                if call is not None and given(kwarg(call, "sa_type")):
                    continue
                what = (
                    f" ({table.name}.{column.key}: SQLModel < 0.0.45 maps datetime to DateTime())"
                )
            else:
                if self.datetime_in_type_map:
                    continue
                if call is not None and not is_call_to(call, "mapped_column"):
                    continue
                if call is not None and (
                    kwarg(call, "type_") is not None
                    or any(
                        not is_call_to(a, "ForeignKey")
                        and not (isinstance(a, ast.Constant) and isinstance(a.value, str))
                        for a in call.args
                    )
                ):
                    continue
                what = " (Mapped[datetime] maps to DateTime())"
            self.add(column.path or table.path, column.line, "TZ001", what=what, scope=table.scope)

    # ---- pass 3: async lazy loads
    def check_lazy(self) -> None:
        """Relationships in modules that async code uses: itself, or by (transitive) import."""
        by_name: dict[str, list[ModuleInfo]] = {}
        for module in self.modules:
            by_name.setdefault(module.path.stem, []).append(module)
            if module.path.stem == "__init__":
                by_name.setdefault(module.path.parent.name, []).append(module)
        reached = [m for m in self.modules if m.uses_async]
        seen = {id(m) for m in reached}
        while reached:
            for name in reached.pop().imports:
                for module in by_name.get(name, []):
                    if id(module) not in seen:
                        seen.add(id(module))
                        reached.append(module)
        for module, line, owner, attr in self.lazy_relationships:
            if id(module) in seen and (owner, attr) not in self.eager:
                self.add(module.path, line, "ASY001", what=f"{owner}.{attr}")


# ---------------------------------------------------------------------------- import names


def package_root(path: Path) -> Path:
    """The folder above the outermost regular package (``__init__.py``) holding the file."""
    root = path.parent
    while (root / "__init__.py").exists():
        root = root.parent
    return root


def import_plan(modules: list[ModuleInfo]) -> tuple[list[str], list[tuple[str, str]]]:
    """sys.path roots and a dotted name for each module, as the project's own imports spell
    them: with namespace packages (no ``__init__.py``) the folder layout alone is ambiguous,
    and importing one file under two names runs its class bodies twice."""
    by_tail: dict[tuple[str, ...], list[Path]] = {}
    for module in modules:
        parts = module.path.with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        for size in range(1, len(parts)):
            tail = parts[-size:]
            if not all(part.isidentifier() for part in tail):
                break
            by_tail.setdefault(tail, []).append(Path(*parts[:-size]))
    votes: collections.Counter[Path] = collections.Counter()
    for module in modules:
        for name in module.absolute_imports:
            parts = tuple(name.split("."))
            for size in range(len(parts), 0, -1):
                if parts[:size] in by_tail:
                    votes.update(set(by_tail[parts[:size]]))
                    break
    plan: list[tuple[str, str]] = []
    roots: list[Path] = []
    for module in modules:
        if not module.defines_models:
            continue
        floor = package_root(module.path)
        candidates = [floor, *(r for r in votes if r in floor.parents)]
        root = max(candidates, key=lambda r: (votes[r], -len(r.parts)))
        parts = list(module.path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts.pop()
        if root not in roots:
            roots.append(root)
        plan.append((str(module.path), ".".join(parts)))
    roots.sort(key=lambda r: -votes[r])
    return [str(r) for r in roots], plan


# ---------------------------------------------------------------------------- MetaData (child)


def describe(exc: BaseException) -> str:
    try:
        text = str(exc).splitlines()[0] if str(exc) else ""
    except Exception:
        text = ""
    return f"{type(exc).__name__}: {text}".rstrip(": ")


def dump_metadata() -> None:
    """Child process: import each planned module, describe every table its MetaData holds, print
    JSON. The plan comes on stdin: {"roots": [...], "modules": [[path, dotted name], ...]}."""
    sys.dont_write_bytecode = True  # nothing written into the project (also -B, the env)
    import importlib
    import importlib.util
    import inspect as pyinspect

    plan = json.load(sys.stdin)
    real_stdout, sys.stdout = sys.stdout, sys.stderr  # a module that prints must not corrupt JSON
    failures: list[list[str]] = []
    try:
        from sqlalchemy import DateTime, MetaData
        from sqlalchemy import inspect as sa_inspect
        from sqlalchemy.orm import Mapper
        from sqlalchemy.orm import registry as registry_type
    except ImportError as exc:
        note = f"MetaData checks skipped: cannot import SQLAlchemy 2.x ({exc})"
        print(
            MARKER + json.dumps({"notes": [note], "failures": [], "tables": []}), file=real_stdout
        )
        return
    for root in reversed(plan["roots"]):
        if root not in sys.path:
            sys.path.insert(0, root)
    metadatas: dict[int, MetaData] = {}
    registries: dict[int, registry_type] = {}
    loaded: dict[str, object] = {}  # absolute file -> module, for every module imported so far
    seen_names: set[str] = set()

    def already_loaded(path: str) -> object | None:
        for name in [n for n in list(sys.modules) if n not in seen_names]:
            seen_names.add(name)
            file = getattr(sys.modules.get(name), "__file__", None)
            if isinstance(file, str):
                loaded.setdefault(os.path.abspath(file), sys.modules[name])
        return loaded.get(path)

    def collect(value: object) -> None:
        if isinstance(value, MetaData):
            metadatas[id(value)] = value
            return
        if isinstance(value, type):
            mapper = sa_inspect(value, raiseerr=False)
            if isinstance(mapper, Mapper):
                registries[id(mapper.registry)] = mapper.registry
        for attribute in ("metadata", "registry"):  # a base, SQLModel, Flask-SQLAlchemy's db
            found = getattr(value, attribute, None)
            if isinstance(found, MetaData):
                metadatas[id(found)] = found
            elif isinstance(found, registry_type):
                registries[id(found)] = found

    for path, name in plan["modules"]:
        try:
            module = already_loaded(path) or importlib.import_module(name)
            if os.path.abspath(getattr(module, "__file__", "") or "") != path:
                # The name is taken (a stdlib module, or a same-named file elsewhere): load the
                # file itself under a private name.
                spec = importlib.util.spec_from_file_location(
                    f"_lint_models_{len(sys.modules)}", path
                )
                assert spec is not None and spec.loader is not None
                module = importlib.util.module_from_spec(spec)
                sys.modules[spec.name] = module  # type: ignore[assignment]
                spec.loader.exec_module(module)  # type: ignore[arg-type]
        except BaseException as exc:  # SystemExit or anything a user module raises
            failures.append([path, describe(exc)])
            continue
        for value in list(vars(module).values()):
            try:
                collect(value)
            except Exception:  # a proxy or a property that raises outside its app
                pass
    owners: dict[int, tuple[str, str]] = {}
    for reg in registries.values():
        metadatas[id(reg.metadata)] = reg.metadata
        for mapper in reg.mappers:
            if getattr(mapper, "single", False):
                continue  # single-table inheritance: the table belongs to the base class
            try:
                owners[id(mapper.local_table)] = (
                    os.path.abspath(pyinspect.getfile(mapper.class_)),
                    mapper.class_.__name__,
                )
            except (TypeError, OSError):
                pass
    tables = []
    for metadata in metadatas.values():
        for table in metadata.tables.values():
            leading = [[c.name for c in index.columns] for index in table.indexes]
            leading += [
                [c.name for c in constraint.columns]
                for constraint in table.constraints
                if type(constraint).__name__ in ("PrimaryKeyConstraint", "UniqueConstraint")
            ]
            tables.append(
                {
                    "name": table.name,
                    "owner": owners.get(id(table)),
                    "keys": {c.name: c.key for c in table.columns},
                    "naive": [
                        c.name
                        for c in table.columns
                        if isinstance(c.type, DateTime) and not c.type.timezone
                    ],
                    "fks": [[c.name for c in fk.columns] for fk in table.foreign_key_constraints],
                    "leading": leading,
                }
            )
    result = {"notes": [], "failures": failures, "tables": tables}
    print(MARKER + json.dumps(result), file=real_stdout)


def unindexed(fk: list[str], leading: list[list[str]]) -> bool:
    """No index, primary key or unique constraint starts with exactly the FK's columns."""
    return not any(len(cols) >= len(fk) and set(cols[: len(fk)]) == set(fk) for cols in leading)


def failure_note(failures: list[list[str]]) -> list[str]:
    """One note for every file that failed to import, not one per file."""
    if not failures:
        return []
    path, reason = failures[0]
    if len(failures) == 1:
        return [f"could not import {display(Path(path))}: {reason}"]
    kinds = len({r for _, r in failures})
    errors = f" ({kinds} different errors)" if kinds > 1 else ""
    return [
        f"{len(failures)} files could not be imported{errors}, so only the source checks ran "
        f"for them; first: {display(Path(path))}: {reason}"
    ]


def metadata_findings(project: Project, modules: list[ModuleInfo], timeout: float) -> list[str]:
    """Run the child, turn its tables into findings; drop AST guesses for those tables."""
    roots, plan = import_plan(modules)
    if not plan:
        return []
    try:
        child = subprocess.run(
            [sys.executable, "-B", str(Path(__file__).resolve()), "--dump-metadata", "-"],
            input=json.dumps({"roots": roots, "modules": plan}),
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
    except subprocess.TimeoutExpired:
        return [f"MetaData checks skipped: importing the models took over {timeout:.0f}s"]
    lines = [line for line in child.stdout.splitlines() if line.startswith(MARKER)]
    if not lines:
        last = (child.stderr.strip().splitlines() or ["no output"])[-1]
        return [f"MetaData checks skipped: the import process failed ({last})"]
    data = json.loads(lines[-1][len(MARKER) :])
    by_class = {
        (str(m.path), t.scope[2]): t for m in modules for t in m.tables if t.scope[0] == "class"
    }
    by_name: dict[str, TableDecl] = {}
    for module in modules:
        for table in module.tables:
            if table.name and table.scope[0] == "table":
                by_name.setdefault(table.name, table)
    covered: set[tuple] = set()
    for table in data["tables"]:
        decl = by_class.get(tuple(table["owner"])) if table["owner"] else by_name.get(table["name"])
        if decl is None:
            continue  # a table defined outside the scanned files
        covered.add(decl.scope)
        where = {c.key: (c.path or decl.path, c.line) for c in decl.columns}

        def place(
            column: str,
            decl: TableDecl = decl,
            where: dict = where,
            keys: dict = table["keys"],
        ) -> tuple[Path, int]:
            return where.get(keys.get(column, column), where.get(column, (decl.path, decl.line)))

        label = table["name"]
        for fk in table["fks"]:
            if unindexed(fk, table["leading"]):
                path, line = place(fk[0]) if len(fk) == 1 else (decl.path, decl.line)
                project.add(path, line, "FK001", what=f"{label}({', '.join(fk)})")
        for column in table["naive"]:
            path, line = place(column)
            project.add(path, line, "TZ001", what=f" ({label}.{column})")
    project.findings = [f for f in project.findings if f.scope is None or f.scope not in covered]
    return data["notes"] + failure_note(data["failures"])


# ---------------------------------------------------------------------------- files


def is_migrations_folder(folder: Path) -> bool:
    """Alembic / Flask-Migrate: env.py beside versions/, or the script.py.mako template."""
    return (folder / "script.py.mako").is_file() or (
        (folder / "env.py").is_file() and (folder / "versions").is_dir()
    )


def collect(paths: list[str], include_migrations: bool = False) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for folder, subfolders, names in os.walk(path):
                subfolders[:] = sorted(
                    name
                    for name in subfolders
                    if not name.startswith(".")
                    and name not in SKIP_DIRS
                    and not (Path(folder, name) / "pyvenv.cfg").exists()
                    and (include_migrations or not is_migrations_folder(Path(folder, name)))
                )
                files += sorted(Path(folder, n) for n in names if n.endswith(".py"))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(raw)
    return list(dict.fromkeys(p.resolve() for p in files))


def parse(files: list[Path]) -> tuple[list[ModuleInfo], list[str]]:
    modules: list[ModuleInfo] = []
    failures: list[tuple[Path, str]] = []
    for path in files:
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source, filename=str(path))
        except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
            failures.append((path, str(exc)))
            continue
        modules.append(ModuleInfo(path, tree, ignored_codes(source), source.splitlines()))
    notes = []
    if len(failures) == 1:
        notes.append(f"could not parse {display(failures[0][0])}: {failures[0][1]}")
    elif failures:
        notes.append(
            f"{len(failures)} files could not be parsed by Python {sys.version.split()[0]}; "
            f"first: {display(failures[0][0])}: {failures[0][1]}"
        )
    return modules, notes


# ---------------------------------------------------------------------------- rule selection


def codes_matching(prefixes: list[str]) -> set[str]:
    """Codes or prefixes, like ruff: FK001, FK, LEG, ALL. ValueError names an unknown one."""
    found: set[str] = set()
    for prefix in prefixes:
        matching = {c for c in RULES if prefix == "ALL" or c.startswith(prefix)}
        if not matching:
            raise ValueError(prefix)
        found |= matching
    return found


def split_codes(values: list[str] | None) -> list[str]:
    return [c.strip().upper() for v in values or [] for c in v.split(",") if c.strip()]


def selected_rules(args: argparse.Namespace) -> set[str]:
    chosen = (
        codes_matching(split_codes(args.select))
        if args.select
        else {c for c, r in RULES.items() if r.default}
    )
    chosen |= codes_matching(split_codes(args.extend_select))
    return chosen - codes_matching(split_codes(args.ignore))


# ---------------------------------------------------------------------------- output


def merge_by_line(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per file, line and rule: a mixin's column is one line to fix, however many
    tables inherit it (the MetaData names each table; the AST's guess adds nothing then)."""
    groups: dict[tuple[Path, int, str], list[str]] = {}
    for finding in findings:
        groups.setdefault((finding.path, finding.line, finding.code), []).append(finding.what)
    merged = []
    for (path, line, code), whats in sorted(groups.items(), key=lambda g: (str(g[0][0]), g[0][1:])):
        named = sorted({w for w in whats if w}) or [""]
        what = named[0]
        if len(named) > 1:  # "(a.created_at and 4 more)", "a(owner_id) (and 4 more tables)"
            more = f" and {len(named) - 1} more"
            nested = what.startswith(" (") and what.endswith(")")
            what = f"{what[:-1]}{more})" if nested else f"{what} ({more.strip()} tables)"
        merged.append(Finding(path, line, code, what))
    return merged


def github_escape(text: str, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def render(findings: list[Finding], style: str) -> list[str]:
    if style == "json":
        items = [
            {
                "rule": f.code,
                "severity": f.rule.severity,
                "file": display(f.path),
                "line": f.line,
                "message": f.message,
                "link": f.link,
            }
            for f in findings
        ]
        return ["[" + ",\n ".join(json.dumps(item) for item in items) + "]"]
    if style == "github":
        return [
            f"::{'error' if f.rule.severity == 'error' else 'warning'} "
            f"file={github_escape(display(f.path), True)},line={f.line},"
            f"title={f.code}::{github_escape(f'{f.message} (see {f.link})')}"
            for f in findings
        ]
    return [
        f"{display(f.path)}:{f.line}: {f.code} [{f.rule.severity}] {f.message} (see {f.link})"
        for f in findings
    ]


# ---------------------------------------------------------------------------- baseline


def baseline_key(finding: Finding, folder: Path, lines: list[str]) -> tuple[str, str, str]:
    """File (relative to the baseline's folder), rule and the finding's source line, stripped:
    lines inserted above a finding move it without making it new."""
    source = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
    relative = Path(os.path.relpath(finding.path, folder)).as_posix()
    return relative, finding.code, " ".join(source.split())


def write_baseline(path: Path, keyed: list[tuple[tuple[str, str, str], Finding]]) -> None:
    entries = [
        {"file": key[0], "rule": key[1], "source": key[2], "line": f.line, "message": f.message}
        for key, f in keyed
    ]
    document = {"tool": "lint_models.py", "version": 1, "findings": entries}
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def read_baseline(path: Path) -> collections.Counter[tuple[str, str, str]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return collections.Counter(
        (entry["file"], entry["rule"], entry["source"]) for entry in document["findings"]
    )


def apply_baseline(
    args: argparse.Namespace, findings: list[Finding], modules: list[ModuleInfo]
) -> tuple[list[Finding], list[str]]:
    """Write the baseline (first run, --update-baseline) or keep the findings it does not hold."""
    path = Path(args.baseline)
    folder = path.resolve().parent
    lines = {m.path: m.lines for m in modules}
    keyed = [(baseline_key(f, folder, lines.get(f.path, [])), f) for f in findings]
    if args.update_baseline or not path.exists():
        write_baseline(path, keyed)
        return [], [f"wrote {len(keyed)} findings to {display(path)}: later runs report new ones"]
    known = read_baseline(path)
    new = []
    for key, finding in keyed:
        if known[key] > 0:
            known[key] -= 1
        else:
            new.append(finding)
    gone = sum(known.values())
    notes = [f"{gone} of the baseline's findings no longer occur: --update-baseline drops them"]
    return new, notes if gone else []


# ---------------------------------------------------------------------------- main


def parser() -> argparse.ArgumentParser:
    rules = "\n".join(
        f"  {code:<7}{rule.severity:<8}{rule.summary}{'' if rule.default else ' (off by default)'}"
        for code, rule in RULES.items()
    )
    parser = argparse.ArgumentParser(
        prog="lint_models.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Report SQLAlchemy / SQLModel / Flask-SQLAlchemy model code that the "
        "python-database-patterns\nskills teach against, one line each: "
        "file:line: CODE [severity] reason (see references/<page>#<section>).",
        epilog=f"rules (code, severity, what):\n{rules}\n\n"
        "The LEG rules (1.x style) are off by default: follow the project's style; add them with\n"
        "--extend-select LEG where the project is already 2.0 style (never with SQLAlchemy 1.x)."
        "\n\nBaseline: a finding is known when its file, rule and stripped source line are in FILE,"
        "\nso code moved by edits above it stays known; --update-baseline forgets fixed ones."
        "\n\nSilence one on purpose: '# lint: ignore[CODE]' on its line, or"
        "\n'# lint: ignore-file[CODE]' anywhere in the file."
        "\n\nExit status: 0 clean, 1 findings, 2 bad input.",
    )
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="model files or folders (recursively *.py)"
    )
    parser.add_argument(
        "--select",
        action="append",
        metavar="CODES",
        help="only these rule codes or prefixes, comma-separated (ALL: every rule)",
    )
    parser.add_argument(
        "--extend-select",
        action="append",
        metavar="CODES",
        help="these as well as the default rules (e.g. LEG)",
    )
    parser.add_argument(
        "--ignore", action="append", metavar="CODES", help="leave these codes or prefixes out"
    )
    parser.add_argument(
        "--format", choices=("text", "json", "github"), default="text", help="output format"
    )
    parser.add_argument(
        "--baseline",
        metavar="FILE",
        help="report only findings not in FILE; a missing FILE is written with today's findings",
    )
    parser.add_argument(
        "--update-baseline", action="store_true", help="rewrite --baseline FILE, report nothing"
    )
    parser.add_argument(
        "--include-migrations", action="store_true", help="lint Alembic migration folders too"
    )
    parser.add_argument(
        "--no-import", action="store_true", help="source checks only: import no user code"
    )
    parser.add_argument(
        "--timeout", type=float, default=60, help="seconds allowed for importing the models"
    )
    parser.add_argument("--dump-metadata", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def sqlalchemy_series(args: argparse.Namespace, chosen: set[str]) -> tuple[bool, list[str]]:
    """Whether the MetaData checks can run, and a note when they cannot (SQLAlchemy 1.x or none)."""
    version = installed_version("sqlalchemy")
    if version is None:
        if args.no_import:
            return False, []
        return False, [
            f"MetaData checks skipped: no SQLAlchemy installed for {sys.executable}; "
            "run this script with the project's Python"
        ]
    if version_tuple(version) < (2,):
        legacy = " and the LEG rules (2.0-only APIs)" if chosen & codes_matching(["LEG"]) else ""
        return False, [
            f"SQLAlchemy {version} found ({sys.executable}): the MetaData checks{legacy} "
            "need SQLAlchemy 2.0+; only the version-neutral source checks ran"
        ]
    return True, []


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.dump_metadata:
        dump_metadata()
        return 0
    if args.update_baseline and not args.baseline:
        print("lint_models.py: error: --update-baseline needs --baseline FILE", file=sys.stderr)
        return 2
    try:
        chosen = selected_rules(args)
        files = collect(args.paths, args.include_migrations)
    except ValueError as exc:
        print(f"lint_models.py: error: no rule code starts with {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"lint_models.py: error: no such file or directory: {exc}", file=sys.stderr)
        return 2
    series_2, notes = sqlalchemy_series(args, chosen)
    if not series_2:
        chosen -= codes_matching(["LEG"])
    sqlmodel = installed_version("sqlmodel")
    modules, parse_notes = parse(files)
    notes += parse_notes
    project = Project(
        modules, sqlmodel_naive=bool(sqlmodel) and version_tuple(sqlmodel) < SQLMODEL_AWARE
    )  # type: ignore[arg-type]
    project.survey()
    for module in modules:
        project.check(module)
    project.check_project()
    project.check_lazy()
    if series_2 and not args.no_import:
        notes += metadata_findings(project, modules, args.timeout)
    ignores = {m.path: m.ignores for m in modules}
    findings = merge_by_line(
        f
        for f in project.findings
        if f.code in chosen
        and f.code not in ignores[f.path].get(f.line, set()) | ignores[f.path].get(0, set())
    )
    if args.baseline:
        try:
            findings, baseline_notes = apply_baseline(args, findings, modules)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(
                f"lint_models.py: error: unusable baseline {args.baseline}: {exc}", file=sys.stderr
            )
            return 2
        notes += baseline_notes
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    for line in render(findings, args.format):
        print(line)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
