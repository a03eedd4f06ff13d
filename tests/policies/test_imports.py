"""policies/ is pure: it imports only the standard library, pydantic, holidays and the vocabulary."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

POLICIES = Path(__file__).resolve().parents[2] / "policies"
ALLOWED_THIRD_PARTY = {"pydantic", "holidays"}
ALLOWED_LEDGER = {"ledger.events", "ledger.identifiers"}
FORBIDDEN_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
                   ("time", "time"), ("time", "monotonic"), ("time", "perf_counter"), ("os", "environ")}


def _modules() -> list[Path]:
    return sorted(POLICIES.rglob("*.py"))


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.append((node.lineno, "policies." + (node.module or "")))
            else:
                found.append((node.lineno, node.module or ""))
    return found


def _allowed(module: str) -> bool:
    top = module.split(".")[0]
    if top in sys.stdlib_module_names:
        return top not in {"sqlite3", "socket", "subprocess", "urllib", "http", "asyncio", "shutil", "tempfile"}
    if top == "policies" or top in ALLOWED_THIRD_PARTY:
        return True
    return any(module == m or module.startswith(m + ".") for m in ALLOWED_LEDGER)


def test_policies_has_modules_to_check() -> None:
    assert len(_modules()) > 10


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_module_imports_only_the_standard_library_pydantic_holidays_and_the_vocabulary(path: Path) -> None:
    bad = [f"{path.name}:{line}: {module}" for line, module in _imports(path) if not _allowed(module)]
    assert bad == []


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_module_reads_no_clock_files_or_environment(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and (node.value.id, node.attr) in FORBIDDEN_CALLS:
            bad.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"open", "input"}:
            bad.append(f"{path.name}:{node.lineno}: {node.func.id}()")
    assert bad == []


def test_the_checker_refuses_forbidden_imports() -> None:
    assert not _allowed("eventsourcing.application")
    assert not _allowed("psycopg")
    assert not _allowed("ledger.store")
    assert not _allowed("projections.world")
    assert not _allowed("sqlite3")
    assert _allowed("ledger.events")
    assert _allowed("zoneinfo")
    assert _allowed("holidays.countries.finland")


def test_importing_policies_loads_no_storage_or_eventsourcing() -> None:
    import subprocess

    code = ("import sys, policies.judge, policies.world, policies.transfer, policies.monitoring; "
            "bad = [m for m in sys.modules if m.split('.')[0] in {'eventsourcing', 'psycopg', 'sqlite3'} "
            "or m in {'ledger.store', 'ledger.ingest', 'ledger.db'}]; print(','.join(sorted(bad)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=POLICIES.parent)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_modules_and_functions_stay_small_and_public_objects_are_documented(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300
    tree = ast.parse(text)
    assert ast.get_docstring(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert (node.end_lineno or 0) - node.lineno < 40, f"{path.name}: {node.name} is too long"
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
            assert ast.get_docstring(node), f"{path.name}: {node.name} has no docstring"
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
                        assert ast.get_docstring(item), f"{path.name}: {node.name}.{item.name} has no docstring"
