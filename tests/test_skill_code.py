"""Code in SKILL.md prose (inline spans, not snippets) must run: an agent copies it as written."""

import ast
import builtins
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parent.parent
SKILL_FILES = sorted(ROOT.glob("skills/*/SKILL.md"))
INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")


def names_the_page_may_use():
    """What a reader has in scope where a SKILL.md shows such a line."""
    engine = create_engine("sqlite://")
    return {
        "engine": engine,
        "Session": Session,
        "SessionLocal": sessionmaker(engine),
        "sessionmaker": sessionmaker,
    }


def runnable_spans(path: Path) -> list[tuple[str, ast.Module]]:
    """Inline code that is Python with a call or a `with` in it: `with X.begin():`, `f(x)`."""
    found = []
    for span in INLINE_CODE.findall(path.read_text(encoding="utf-8")):
        source = span.strip() + ("\n    pass" if span.strip().endswith(":") else "")
        try:
            tree = ast.parse(source)
            compile(tree, "<span>", "exec")
        except SyntaxError:
            continue  # prose (`UPDATE ... SET x = x + :n`), `await` lines
        if any(isinstance(node, (ast.With, ast.Call)) for node in ast.walk(tree)):
            found.append((span, tree))
    return found


@pytest.mark.parametrize("path", SKILL_FILES, ids=lambda p: p.parent.name)
def test_with_blocks_and_calls_in_skill_prose_run(path):
    scope = names_the_page_may_use()
    for span, tree in runnable_spans(path):
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        bound = {
            n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
        }
        unknown = used - bound - set(scope) - set(dir(builtins))
        if isinstance(tree.body[0], ast.With):
            # A `with` line is the pattern the reader copies: every name in it must be known.
            assert not unknown, f"{span!r}: name the objects with {sorted(scope)}"
        elif unknown:
            continue  # a fragment about the reader's own objects (`insert(Model), rows`)
        try:
            exec(compile(tree, f"{path.parent.name}/SKILL.md", "exec"), dict(scope))
        except Exception as error:
            pytest.fail(f"{path.parent.name}/SKILL.md: `{span}` raises {error!r}")
    scope["engine"].dispose()


def test_the_check_catches_a_with_on_the_session_class():
    """`with Session.begin():` calls an unbound method: TypeError (missing 'self')."""
    tree = ast.parse("with Session.begin():\n    pass")
    with pytest.raises(TypeError, match="self"):
        exec(compile(tree, "<span>", "exec"), names_the_page_may_use())
