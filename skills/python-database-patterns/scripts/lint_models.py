#!/usr/bin/env python3
"""Lint SQLAlchemy model code for what the python-database-patterns skills teach against.

    python lint_models.py PATH...          # files or folders (recursively *.py)
    python lint_models.py --no-import app/ # AST checks only, import nothing

Each finding is one line, ``file:line: CODE reason (see <reference>#<section>)``.
Two sources: the source code, read with ``ast`` (never executed), and, where the model
files import cleanly in a child process, their ``MetaData`` (tables, indexes, foreign keys,
column types as SQLAlchemy built them: mixins, ``type_annotation_map`` and ``__table_args__``
included). For a table the MetaData describes, its findings replace the AST's guesses.
A file that fails to import gets one ``note:`` line on stderr; the AST checks still run.

Silence a finding on purpose with a comment on its line: ``# lint: ignore[FK001]``
(several codes: ``# lint: ignore[FK001,TZ001]``).

Exit status: 0 clean, 1 findings, 2 bad input. Needs Python 3.11+; the MetaData checks
need SQLAlchemy 2.x importable by the Python that runs this script (use the project's).
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import subprocess
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

__version__ = "0.1.0"  # the bundle's, .claude-plugin/plugin.json (tests/test_plugin_manifest.py)

RULES = {
    "LEG001": (
        "session.query() is the 1.x API: use session.scalars(select(...))",
        "models.md#2x-style-only",
    ),
    "LEG002": (
        "declarative_base() is the 1.x API: subclass DeclarativeBase",
        "models.md#2x-style-only",
    ),
    "LEG003": (
        "Column() attribute on a mapped class: use Mapped[...] = mapped_column()",
        "models.md#2x-style-only",
    ),
    "LEG004": (
        "backref is legacy: declare both sides with back_populates",
        "models.md#2x-style-only",
    ),
    "FK001": (
        "foreign key {what} has no index (PostgreSQL and SQLite do not add one): "
        "add index=True or an Index leading with it",
        "models.md#indexes-on-foreign-keys",
    ),
    "TZ001": (
        "DateTime without timezone=True{what}: use DateTime(timezone=True) and aware datetimes",
        "models.md#timezone-aware-datetimes",
    ),
    "NC001": (
        "{what} without a naming_convention: each database names constraints its own way, "
        "so a later migration cannot drop or alter them by name on every backend",
        "migrations.md#naming-conventions",
    ),
    "SQL001": (
        "SQL built with {what} passed to text(): use bind parameters, text('... :name')",
        "queries.md#raw-sql-with-text",
    ),
    "ASY001": (
        "relationship {what} lazy-loads on access (default lazy='select'), which raises "
        "MissingGreenlet under asyncio: set lazy= or load it with selectinload()",
        "async.md#relationships-missinggreenlet-and-three-fixes",
    ),
}

SUMMARY = {
    "LEG001": "session.query(...) (1.x Query API)",
    "LEG002": "declarative_base() (1.x)",
    "LEG003": "Column(...) assigned in a mapped class body",
    "LEG004": "backref= / backref(...)",
    "FK001": "foreign key whose columns lead no index, primary key or unique constraint",
    "TZ001": "DateTime / TIMESTAMP without timezone=True (also Mapped[datetime] by default)",
    "NC001": "MetaData() or DeclarativeBase subclass without a naming_convention",
    "SQL001": "text() given an f-string, % formatting, .format() or + concatenation",
    "ASY001": "relationship() without lazy= in modules async code uses, never eager-loaded",
}
ASYNC_NAMES = {"AsyncSession", "async_sessionmaker", "create_async_engine", "async_scoped_session"}
EAGER_OPTIONS = {"selectinload", "joinedload", "subqueryload", "immediateload", "contains_eager"}
DATETIME_TYPES = {"DateTime", "TIMESTAMP"}
SA_MODULES = {"sqlalchemy", "sa", "sql", "sqla"}
MARKER = "@@lint_models@@"
SKIP_DIRS = {"venv", "site-packages", "node_modules", "__pycache__", "build", "dist"}


@dataclass
class Finding:
    path: Path
    line: int
    code: str
    what: str = ""
    scope: tuple | None = None  # a table the MetaData may speak for instead

    def render(self) -> str:
        reason, ref = RULES[self.code]
        where = f"{display(self.path)}:{self.line}"
        return f"{where}: {self.code} {reason.format(what=self.what)} (see references/{ref})"


def display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


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


def is_call_to(node: ast.AST, *names: str) -> bool:
    return isinstance(node, ast.Call) and name_of(node.func) in names


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


@dataclass
class ColumnDecl:
    key: str
    line: int
    call: ast.Call | None  # mapped_column(...) / Column(...), None for a bare annotation
    annotation: ast.expr | None = None


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
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    imports: set[str] = field(default_factory=set)  # last parts of imported module names
    uses_async: bool = False
    tables: list[TableDecl] = field(default_factory=list)
    defines_models: bool = False


class Project:
    """Everything the AST checks learn across all scanned files."""

    def __init__(self, modules: list[ModuleInfo]) -> None:
        self.modules = modules
        self.findings: list[Finding] = []
        self.eager: set[tuple[str, str]] = set()
        self.datetime_in_type_map = False
        self.base_names: set[str] = set()  # classes/variables that are declarative bases
        self.index_refs: dict[str, set[str]] = {}  # class or table var -> columns leading an Index
        self.lazy_relationships: list[tuple[ModuleInfo, int, str, str]] = []

    # ---- pass 1: project-wide facts
    def survey(self) -> None:
        for module in self.modules:
            for node in ast.walk(module.tree):
                if isinstance(node, (ast.Name, ast.Attribute)) and name_of(node) in ASYNC_NAMES:
                    module.uses_async = True
                elif isinstance(node, ast.alias) and node.name.split(".")[-1] in ASYNC_NAMES:
                    module.uses_async = True
                elif isinstance(node, ast.Import):
                    module.imports.update(alias.name.split(".")[-1] for alias in node.names)
                elif isinstance(node, ast.ImportFrom):
                    if node.module:
                        module.imports.add(node.module.split(".")[-1])
                    module.imports.update(
                        alias.name for alias in node.names
                    )  # from pkg import models
                elif isinstance(node, ast.ClassDef):
                    module.classes[node.name] = node
                    if any(
                        name_of(base) in ("DeclarativeBase", "DeclarativeBaseNoMeta")
                        for base in node.bases
                    ):
                        self.base_names.add(node.name)
                elif isinstance(node, ast.Assign) and is_call_to(node.value, "declarative_base"):
                    self.base_names.update(t.id for t in node.targets if isinstance(t, ast.Name))
                elif isinstance(node, ast.Call):
                    func = name_of(node.func)
                    if func in EAGER_OPTIONS:
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
                elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                    target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                    if name_of(target) == "type_annotation_map" and isinstance(
                        node.value, ast.Dict
                    ):
                        if any(name_of(key) == "datetime" for key in node.value.keys):
                            self.datetime_in_type_map = True
        # Subclasses of a base are bases too when they hold no table (abstract bases, mixins).
        changed = True
        while changed:
            changed = False
            for module in self.modules:
                for cls in module.classes.values():
                    if cls.name not in self.base_names and not self.has_table(cls):
                        if any(name_of(b) in self.base_names for b in cls.bases):
                            self.base_names.add(cls.name)
                            changed = True

    @staticmethod
    def body_assigns(cls: ast.ClassDef, name: str) -> ast.expr | None:
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign) and any(name_of(t) == name for t in stmt.targets):
                return stmt.value
            if isinstance(stmt, ast.AnnAssign) and name_of(stmt.target) == name:
                return stmt.value
        return None

    def has_table(self, cls: ast.ClassDef) -> bool:
        return any(self.body_assigns(cls, n) is not None for n in ("__tablename__", "__table__"))

    def is_mapped(self, cls: ast.ClassDef) -> bool:
        return self.has_table(cls) or any(name_of(b) in self.base_names for b in cls.bases)

    # ---- pass 2: per-module checks
    def check(self, module: ModuleInfo) -> None:
        self.session_names = self._session_names(module.tree)
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ClassDef):
                self._check_class(module, node)
            elif isinstance(node, ast.Call):
                self._check_call(module, node)
        self._check_datetimes(module, module.tree, scope=None)

    def add(
        self, module: ModuleInfo, line: int, code: str, what: str = "", scope: tuple | None = None
    ) -> None:
        self.findings.append(Finding(module.path, line, code, what, scope))

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
        if func == "query" and isinstance(call.func, ast.Attribute):
            receiver = call.func.value
            label = name_of(receiver)
            if "session" in label.lower() or label in self.session_names:
                self.add(module, call.lineno, "LEG001")
        elif func == "declarative_base":
            self.add(module, call.lineno, "LEG002")
        elif func == "backref" or kwarg(call, "backref") is not None:
            self.add(module, call.lineno, "LEG004")
        elif func == "MetaData" and kwarg(call, "naming_convention") is None:
            self.add(module, call.lineno, "NC001", what="MetaData()")
        elif func == "text" and call.args and self._is_sa_text(call.func):
            how = self._string_building(call.args[0])
            if how:
                self.add(module, call.lineno, "SQL001", what=how)
        elif func == "Table" and len(call.args) >= 2:
            name = call.args[0].value if isinstance(call.args[0], ast.Constant) else None
            table = TableDecl(module.path, call.lineno, name, ("table", name))
            for arg in call.args[2:]:
                if is_call_to(arg, "Column") and arg.args and isinstance(arg.args[0], ast.Constant):  # type: ignore[union-attr]
                    table.columns.append(ColumnDecl(str(arg.args[0].value), arg.lineno, arg))  # type: ignore[union-attr]
                elif isinstance(arg, ast.Call):
                    self._leading_from_constraint(arg, table)
            module.tables.append(table)
            module.defines_models = True
            self._check_foreign_keys(module, table, str(name))
            self._check_datetimes(module, call, scope=table.scope)

    @staticmethod
    def _is_sa_text(func: ast.expr) -> bool:
        if isinstance(func, ast.Name):
            return True
        return (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in SA_MODULES
        )

    @staticmethod
    def _string_building(arg: ast.expr) -> str:
        if isinstance(arg, ast.JoinedStr):
            values = [v.value for v in arg.values if isinstance(v, ast.FormattedValue)]
            # SET / DDL take no bind parameters; a value forced through int() or float() is safe.
            if any(not is_call_to(v, "int", "float") for v in values):
                return "an f-string"
        if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mod):
            return "% formatting"
        if is_call_to(arg, "format") and isinstance(arg.func, ast.Attribute):  # type: ignore[union-attr]
            return ".format()"
        if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Add):
            leaves, stack = [], [arg]
            while stack:
                node = stack.pop()
                if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
                    stack += [node.left, node.right]
                else:
                    leaves.append(node)
            if not all(isinstance(leaf, ast.Constant) for leaf in leaves):
                return "+ concatenation"
        return ""

    @staticmethod
    def _leading_from_constraint(call: ast.Call, table: TableDecl) -> None:
        """Index("ix", "a", "b") / UniqueConstraint("a") / PrimaryKeyConstraint("a"): a leads."""
        kind = name_of(call.func)
        args = call.args[1:] if kind == "Index" else call.args
        if kind in ("Index", "UniqueConstraint", "PrimaryKeyConstraint") and args:
            ref = column_ref(args[0])
            if ref:
                table.leading.add(ref)

    def _check_class(self, module: ModuleInfo, cls: ast.ClassDef) -> None:
        if any(name_of(b) in ("DeclarativeBase",) for b in cls.bases):
            metadata = self.body_assigns(cls, "metadata")
            if metadata is None and self.body_assigns(cls, "registry") is None:
                self.add(module, cls.lineno, "NC001", what=f"declarative base {cls.name}")
        if not self.is_mapped(cls):
            return
        module.defines_models = True
        tablename = self.body_assigns(cls, "__tablename__")
        name = tablename.value if isinstance(tablename, ast.Constant) else None
        table = TableDecl(module.path, cls.lineno, name, ("class", str(module.path), cls.name))
        for stmt in cls.body:
            target = None
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target, value, annotation = stmt.targets[0], stmt.value, None
            elif isinstance(stmt, ast.AnnAssign):
                target, value, annotation = stmt.target, stmt.value, stmt.annotation
            if not isinstance(target, ast.Name):
                continue
            if target.id == "__table_args__" and value is not None:
                for node in ast.walk(value):
                    if isinstance(node, ast.Call):
                        self._leading_from_constraint(node, table)
                continue
            if is_call_to(value, "Column"):
                self.add(module, stmt.lineno, "LEG003", scope=None)
            if is_call_to(value, "Column", "mapped_column"):
                call = value  # type: ignore[assignment]
                table.columns.append(ColumnDecl(target.id, stmt.lineno, call, annotation))  # type: ignore[arg-type]
            elif value is None and annotation is not None and "Mapped" in ast.unparse(annotation):
                table.columns.append(ColumnDecl(target.id, stmt.lineno, None, annotation))
            elif is_call_to(value, "relationship") and kwarg(value, "lazy") is None:  # type: ignore[arg-type]
                if annotation is not None and name_of(getattr(annotation, "value", None)) in (
                    "WriteOnlyMapped",
                    "DynamicMapped",
                ):
                    continue  # these never load on attribute access
                self.lazy_relationships.append((module, stmt.lineno, cls.name, target.id))
        table.leading |= self.index_refs.get(cls.name, set())
        module.tables.append(table)
        self._check_foreign_keys(module, table, name or cls.name)
        self._check_datetimes(module, cls, scope=table.scope)

    def _check_foreign_keys(self, module: ModuleInfo, table: TableDecl, label: str) -> None:
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
            if call is None or not any(is_call_to(arg, "ForeignKey") for arg in call.args):
                continue
            if (
                is_true(kwarg(call, "index"))
                or is_true(kwarg(call, "unique"))
                or column.key in table.leading
            ):
                continue
            self.add(module, column.line, "FK001", what=f"{label}({column.key})", scope=table.scope)

    def _check_datetimes(self, module: ModuleInfo, root: ast.AST, scope: tuple | None) -> None:
        """DateTime / DateTime() without timezone=True, and Mapped[datetime] with no type given."""
        if scope is None:  # module level: skip what a mapped class or Table() holds (own scope)
            skip = {
                id(n)
                for c in ast.walk(root)
                if isinstance(c, ast.ClassDef) and self.is_mapped(c)
                for n in ast.walk(c)
            }
            tables = [n for n in ast.walk(root) if is_call_to(n, "Table")]
            skip |= {id(n) for t in tables for n in ast.walk(t)}
        else:
            skip = set()
        # A bare DateTime counts where it is given as a column type: a call's argument (not
        # isinstance()), a type_= keyword, a type_annotation_map value.
        as_type: set[int] = set()
        for n in ast.walk(root):
            if isinstance(n, ast.Call) and name_of(n.func) not in ("isinstance", "issubclass"):
                as_type.update(id(a) for a in n.args)
                as_type.update(
                    id(k.value) for k in n.keywords if k.arg in ("type_", "existing_type")
                )
            elif isinstance(n, ast.Dict):
                as_type.update(id(v) for v in n.values)
        for node in ast.walk(root):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Call) and name_of(node.func) in DATETIME_TYPES:
                if not is_true(kwarg(node, "timezone")) and not (
                    node.args and is_true(node.args[0])
                ):
                    self.add(module, node.lineno, "TZ001", scope=scope)
            elif isinstance(node, (ast.Name, ast.Attribute)) and name_of(node) in DATETIME_TYPES:
                if id(node) in as_type:
                    self.add(module, node.lineno, "TZ001", scope=scope)
        if (
            scope is not None
            and root is not None
            and isinstance(root, ast.ClassDef)
            and not self.datetime_in_type_map
        ):
            for stmt in root.body:
                if not isinstance(stmt, ast.AnnAssign) or not names_datetime(stmt.annotation):
                    continue
                call = stmt.value
                typed = (
                    isinstance(call, ast.Call)
                    and call.args
                    and not is_call_to(call.args[0], "ForeignKey")
                )
                if not typed and (call is None or is_call_to(call, "mapped_column")):
                    self.add(
                        module,
                        stmt.lineno,
                        "TZ001",
                        what=" (Mapped[datetime] maps to DateTime())",
                        scope=scope,
                    )

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
                self.add(module, line, "ASY001", what=f"{owner}.{attr}")


# ---------------------------------------------------------------------------- MetaData (child)


def dump_metadata(paths: list[str]) -> None:
    """Child process: import each file, describe every table its MetaData holds, print JSON."""
    import importlib
    import importlib.util
    import inspect as pyinspect

    real_stdout, sys.stdout = (
        sys.stdout,
        sys.stderr,
    )  # a module that prints must not corrupt the JSON
    notes: list[str] = []
    try:
        import sqlalchemy  # noqa: F401
        from sqlalchemy import DateTime, MetaData
        from sqlalchemy.orm import registry as registry_type
    except ImportError as exc:
        notes.append(
            f"MetaData checks skipped: cannot import SQLAlchemy ({exc}); "
            "run this script with the project's Python"
        )
        print(MARKER + json.dumps({"notes": notes, "tables": []}), file=real_stdout)
        return
    metadatas: dict[int, MetaData] = {}
    registries: dict[int, registry_type] = {}
    for raw in paths:
        path = Path(raw).resolve()
        root, parts = path.parent, [path.stem]
        while (root / "__init__.py").exists():  # import a package module by its dotted name
            parts.insert(0, root.name)
            root = root.parent
        if parts[-1] == "__init__":
            parts.pop()
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        try:
            module = importlib.import_module(".".join(parts))
            if Path(getattr(module, "__file__", "") or "").resolve() != path:
                # The name is taken (a stdlib module, or a same-named file elsewhere): load the
                # file itself under a private name.
                spec = importlib.util.spec_from_file_location(
                    f"_lint_models_{len(sys.modules)}", path
                )
                assert spec is not None and spec.loader is not None
                module = importlib.util.module_from_spec(spec)
                sys.modules[spec.name] = module
                spec.loader.exec_module(module)
        except BaseException as exc:  # SystemExit or anything a user module raises
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(
                ": "
            )
            notes.append(f"could not import {display(path)}: {reason}")
            continue
        for value in list(vars(module).values()):
            if isinstance(value, MetaData):
                metadatas[id(value)] = value
            elif isinstance(value, registry_type):
                registries[id(value)] = value
            elif isinstance(value, type):
                if isinstance(getattr(value, "metadata", None), MetaData):
                    metadatas[id(value.metadata)] = value.metadata
                if isinstance(getattr(value, "registry", None), registry_type):
                    registries[id(value.registry)] = value.registry
    for reg in registries.values():
        metadatas[id(reg.metadata)] = reg.metadata
    owners: dict[int, tuple[str, str]] = {}
    for reg in registries.values():
        for mapper in reg.mappers:
            try:
                owners[id(mapper.local_table)] = (
                    str(Path(pyinspect.getfile(mapper.class_)).resolve()),
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
    print(MARKER + json.dumps({"notes": notes, "tables": tables}), file=real_stdout)


def unindexed(fk: list[str], leading: list[list[str]]) -> bool:
    """No index, primary key or unique constraint starts with exactly the FK's columns."""
    return not any(len(cols) >= len(fk) and set(cols[: len(fk)]) == set(fk) for cols in leading)


def metadata_findings(project: Project, modules: list[ModuleInfo], timeout: float) -> list[str]:
    """Run the child, turn its tables into findings; drop AST guesses for those tables."""
    files = [str(m.path) for m in modules if m.defines_models]
    if not files:
        return []
    try:
        child = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--dump-metadata", *files],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
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
        module = next(m for m in modules if m.path == decl.path)
        lines_by_key = {c.key: c.line for c in decl.columns}

        def line_of(
            column: str,
            decl: TableDecl = decl,
            lines_by_key: dict = lines_by_key,
            keys: dict = table["keys"],
        ) -> int:
            return lines_by_key.get(keys.get(column, column), lines_by_key.get(column, decl.line))

        label = table["name"]
        for fk in table["fks"]:
            if unindexed(fk, table["leading"]):
                what = f"{label}({', '.join(fk)})"
                line = line_of(fk[0]) if len(fk) == 1 else decl.line
                project.add(module, line, "FK001", what=what)
        for column in table["naive"]:
            project.add(module, line_of(column), "TZ001", what=f" ({label}.{column})")
    project.findings = [f for f in project.findings if f.scope is None or f.scope not in covered]
    return data["notes"]


# ---------------------------------------------------------------------------- main


def collect(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(
                p
                for p in path.rglob("*.py")
                if not any(part.startswith(".") or part in SKIP_DIRS for part in p.parts)
            )
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(raw)
    return list(dict.fromkeys(p.resolve() for p in files))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lint_models.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Report SQLAlchemy model code that the python-database-patterns skills teach "
        "against,\none line each: file:line: CODE reason (see references/<page>#<section>).",
        epilog="rules:\n"
        + "\n".join(f"  {code:<7} {text}" for code, text in SUMMARY.items())
        + "\n\nSilence one on purpose: '# lint: ignore[CODE]' on its line, or"
        "\n'# lint: ignore-file[CODE]' anywhere in the file."
        "\n\nExit status: 0 clean, 1 findings, 2 bad input.",
    )
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="model files or folders (recursively *.py)"
    )
    parser.add_argument(
        "--no-import", action="store_true", help="AST checks only: import no user code"
    )
    parser.add_argument(
        "--timeout", type=float, default=60, help="seconds allowed for importing the models"
    )
    parser.add_argument("--dump-metadata", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)
    if args.dump_metadata:
        dump_metadata(args.paths)
        return 0
    try:
        files = collect(args.paths)
    except FileNotFoundError as exc:
        print(f"lint_models.py: error: no such file or directory: {exc}", file=sys.stderr)
        return 2
    modules: list[ModuleInfo] = []
    notes: list[str] = []
    for path in files:
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source, filename=str(path))
        except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
            notes.append(f"could not parse {display(path)}: {exc}")
            continue
        modules.append(ModuleInfo(path, tree, ignored_codes(source)))
    project = Project(modules)
    project.survey()
    for module in modules:
        project.check(module)
    project.check_lazy()
    if not args.no_import:
        notes += metadata_findings(project, modules, args.timeout)
    ignores = {m.path: m.ignores for m in modules}
    unique = {(f.path, f.line, f.code, f.what): f for f in project.findings}
    findings = sorted(
        (
            f
            for f in unique.values()
            if f.code not in ignores[f.path].get(f.line, set()) | ignores[f.path].get(0, set())
        ),
        key=lambda f: (str(f.path), f.line, f.code),
    )
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    for finding in findings:
        print(finding.render())
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
