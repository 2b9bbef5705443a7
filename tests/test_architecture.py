"""The packages' declared one-way order, read from the source: every import, at module level or
inside a function, and every module named to importlib."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from congress.capabilities import MAY_IMPORT, PACKAGES

ROOT = Path(__file__).resolve().parents[1]
# The one place where the core mounts the capabilities, by their names.
COMPOSITION = ROOT / "congress" / "capabilities.py"


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """(line, top-level package) of every import in the file, wherever it stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]
        elif (
            isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (
                    isinstance(node.func, ast.Name)
                    and node.func.id in {"import_module", "__import__"}
                )
            )
            and node.args
        ):
            name = node.args[0]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                yield node.lineno, name.value.split(".")[0]
            elif path != COMPOSITION:
                yield node.lineno, "<a module named at run time>"


def graph() -> dict[str, dict[str, list[str]]]:
    """package -> imported package -> where."""
    found: dict[str, dict[str, list[str]]] = {package: {} for package in MAY_IMPORT}
    for package in MAY_IMPORT:
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, target in imported(path):
                if target != package and (target in MAY_IMPORT or target.startswith("<")):
                    where = f"{path.relative_to(ROOT)}:{line}"
                    found[package].setdefault(target, []).append(where)
    return found


def test_every_package_imports_only_what_the_order_allows() -> None:
    wrong = [
        f"{package} imports {target} at {', '.join(places)}"
        for package, targets in graph().items()
        for target, places in targets.items()
        if target not in MAY_IMPORT[package]
    ]
    assert not wrong, "\n".join(wrong)


def test_no_cycle_between_packages() -> None:
    edges = {package: set(targets) & set(MAY_IMPORT) for package, targets in graph().items()}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(nxt == goal or reaches(nxt, goal, seen | {nxt}) for nxt in edges[start] - seen)

    cycles = [package for package in edges if reaches(package, package, set())]
    assert not cycles, f"import cycles through {cycles}"


def test_the_declared_order_is_one_way_and_covers_every_capability() -> None:
    assert set(PACKAGES) | {"congress"} == set(MAY_IMPORT)
    rank = {package: index for index, package in enumerate(MAY_IMPORT)}
    for package, allowed in MAY_IMPORT.items():
        assert all(rank[other] < rank[package] for other in allowed), package
    # Nothing stands on the devices at the edge.
    assert not any("scanner" in allowed for allowed in MAY_IMPORT.values())


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n    from scanner.station import Station\n    import_module('ballots.x')\n"
    )
    assert list(imported(module)) == [(2, "scanner"), (3, "ballots")]
