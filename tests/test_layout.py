"""The layout's rules, read from the source with ast: one import direction, no cycles, a pure core.

Direction (issue 16): kernel -> text -> corpus -> embedding -> index -> answering ->
publishing | operations -> serving -> http -> cli. A module may import its own subpackage and
those before it; `a | b` are siblings and may not import each other. The kernel is
`faqbot/__init__.py`, errors, settings, models and files (the one atomic-write helper, which
every layer that writes needs), and imports no subpackage. Every import
counts, at any depth: one inside a function (a lazy import) or under `if TYPE_CHECKING:` is a
dependency all the same, and so takes part in cycles too.

answering/ receives its policy and data: it neither imports faqbot.settings nor opens files.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "src" / "faqbot"

# Layers in import order; a tuple holds siblings (same rank, no imports between them).
ORDER: tuple[tuple[str, ...], ...] = (
    ("kernel",),
    ("text",),
    ("corpus",),
    ("embedding",),
    ("index",),
    ("answering",),
    ("publishing", "operations"),
    ("serving",),
    ("http",),
    ("cli",),  # outermost: `faqbot serve` starts the HTTP app, `ask --json` prints its JSON
)
RANK = {layer: rank for rank, layers in enumerate(ORDER) for layer in layers}
KERNEL = ("", "errors", "settings", "models", "files")  # the package's __init__ and four modules
PURE = "answering"
FILE_IO_CALLS = frozenset({"open", "read_text", "write_text", "read_bytes", "write_bytes"})


@dataclass(frozen=True)
class Import:
    """One import of a module of the package by another, where it is written."""

    source: str  # dotted module doing the import
    target: str  # dotted module imported (a submodule when `from pkg import submodule`)
    path: str  # file, relative to the folder holding src/
    line: int
    text: str  # the statement as written (first line)

    def where(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


@dataclass
class Layout:
    """What the checker found in one package tree."""

    unplaced: list[str] = field(default_factory=list)
    direction: list[str] = field(default_factory=list)
    cycles: list[str] = field(default_factory=list)
    purity: list[str] = field(default_factory=list)
    docstrings: list[str] = field(default_factory=list)


def _modules(package_dir: Path) -> dict[str, Path]:
    """Dotted name -> file, for every module and package __init__ under package_dir."""
    found = {}
    for file in sorted(package_dir.rglob("*.py")):
        parts = file.relative_to(package_dir.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = file
    return found


def _display(file: Path, package_dir: Path) -> str:
    root = package_dir.parent.parent if package_dir.parent.name == "src" else package_dir.parent
    return file.relative_to(root).as_posix()


def _resolve(module: str, known: dict[str, Path]) -> str | None:
    """The longest prefix of a dotted name that is a module of the package."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return None


def _imports(name: str, file: Path, known: dict[str, Path], package_dir: Path) -> Iterator[Import]:
    """Every import of a package module that `name` makes, at any depth of its file."""
    package = package_dir.name
    source = file.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(file))
    lines = source.splitlines()
    path = _display(file, package_dir)
    here = name if file.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bases = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = here.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            bases = [(base, alias.name) for alias in node.names]
        else:
            continue
        seen: set[str] = set()  # `from m import a, b`: one import of m, not two
        for base, imported in bases:
            if base.split(".")[0] != package:
                continue
            # `from pkg import submodule` imports the submodule; `from pkg import name`, pkg.
            target = _resolve(f"{base}.{imported}", known) if imported else None
            if target != f"{base}.{imported}":
                target = _resolve(base, known)
            if target is None or target == name or target in seen:
                continue
            seen.add(target)
            text = lines[node.lineno - 1].strip()
            yield Import(name, target, path, node.lineno, text)


def layer_of(module: str, package: str) -> str | None:
    """The layer a dotted module belongs to, or None when it sits nowhere in the layout."""
    rest = module.removeprefix(package).removeprefix(".")
    if rest in KERNEL:
        return "kernel"
    top = rest.split(".")[0]
    return top if top in RANK and top != "kernel" else None


def _allowed(source_layer: str, target_layer: str) -> bool:
    return source_layer == target_layer or RANK[target_layer] < RANK[source_layer]


def _may_import(layer: str) -> str:
    below = [name for layers in ORDER[: RANK[layer]] for name in layers]
    return ", ".join(below) if below else "nothing of the package"


def _cycles(graph: dict[str, list[Import]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted({i.target for i in graph[root]})))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted({i.target for i in graph.get(child, [])}))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return sorted(components)


def _one_cycle(component: list[str], graph: dict[str, list[Import]]) -> list[Import]:
    """A shortest loop through the component's first module, as the imports that make it."""
    start = component[0]
    members = set(component)
    paths: dict[str, list[Import]] = {start: []}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for imp in graph.get(node, []):
                if imp.target == start:
                    return [*paths[node], imp]
                if imp.target in members and imp.target not in paths:
                    paths[imp.target] = [*paths[node], imp]
                    following.append(imp.target)
        frontier = following
    return []


def _io_calls(tree: ast.AST) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in FILE_IO_CALLS:
                yield node


def check_layout(package_dir: Path) -> Layout:
    """Check a package tree (e.g. src/faqbot) against the layout's rules."""
    package = package_dir.name
    known = _modules(package_dir)
    found = Layout()
    graph: dict[str, list[Import]] = {}
    for name, file in known.items():
        graph[name] = list(_imports(name, file, known, package_dir))
        if layer_of(name, package) is None:
            found.unplaced.append(
                f"{_display(file, package_dir)}: {name} is in no layer (move it into a "
                f"subpackage of {', '.join(n for layers in ORDER[1:] for n in layers)})"
            )
    for name, imports in graph.items():
        source_layer = layer_of(name, package)
        for imp in imports:
            target_layer = layer_of(imp.target, package)
            if source_layer is None or target_layer is None:
                continue
            if not _allowed(source_layer, target_layer):
                found.direction.append(
                    f"{imp.where()}  [{source_layer} imports {target_layer}: {source_layer} "
                    f"may import {_may_import(source_layer)}]"
                )
    for component in _cycles(graph):
        loop = " -> ".join([component[0], *(i.target for i in _one_cycle(component, graph))])
        edges = [
            f"    {imp.where()}"
            for name in component
            for imp in graph[name]
            if imp.target in component
        ]
        found.cycles.append("\n".join([f"cycle {loop}", *edges]))
    for name, file in known.items():
        if layer_of(name, package) != PURE:
            continue
        path = _display(file, package_dir)
        for imp in graph[name]:
            if imp.target == f"{package}.settings":
                found.purity.append(f"{imp.where()}  [{PURE} must not read settings]")
        source = file.read_text(encoding="utf-8")
        lines = source.splitlines()
        for call in _io_calls(ast.parse(source)):
            found.purity.append(
                f"{path}:{call.lineno}: {lines[call.lineno - 1].strip()}  [{PURE} does no file I/O]"
            )
    for name, file in known.items():
        rest = name.removeprefix(package).removeprefix(".")
        if file.name != "__init__.py" or not rest:
            continue
        doc = ast.get_docstring(ast.parse(file.read_text(encoding="utf-8"))) or ""
        lines = [line for line in doc.splitlines() if line.strip()]
        if len(lines) < 2 or "import" not in lines[-1].lower():
            found.docstrings.append(
                f"{_display(file, package_dir)}: needs a docstring saying in two lines what "
                f"{rest}/ holds and what it may import"
            )
    for folder in sorted(p for p in package_dir.rglob("*") if p.is_dir()):
        if any(folder.glob("*.py")) and not (folder / "__init__.py").is_file():
            found.unplaced.append(f"{_display(folder, package_dir)}/: modules outside a package")
    return found


# --- faqbot itself --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def layout() -> Layout:
    return check_layout(PACKAGE_DIR)


def _fail_on(problems: list[str], heading: str) -> None:
    if problems:
        pytest.fail(f"{heading} ({len(problems)}):\n" + "\n".join(problems), pytrace=False)


def test_every_module_sits_in_a_layer(layout: Layout) -> None:
    _fail_on(layout.unplaced, "modules in no layer")


def test_imports_follow_the_one_direction(layout: Layout) -> None:
    _fail_on(layout.direction, "imports against the direction")


def test_no_import_cycles(layout: Layout) -> None:
    _fail_on(layout.cycles, "import cycles")


def test_answering_reads_no_settings_and_opens_no_files(layout: Layout) -> None:
    _fail_on(layout.purity, "answering/ is not pure")


def test_each_subpackage_says_what_it_holds_and_may_import(layout: Layout) -> None:
    _fail_on(layout.docstrings, "subpackages without their two-line docstring")


# --- the checker catches what it is for --------------------------------------------------------

INIT = '"""{holds}\n\nMay import: {may}.\n"""\n'


def _plant(root: Path, files: dict[str, str]) -> Path:
    package_dir = root / "src" / "faqbot"
    for relative, text in files.items():
        file = package_dir / relative
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
    return package_dir


def _tiny_package(root: Path, extra: dict[str, str] | None = None) -> Path:
    """A kernel, text/, index/ and answering/, importing the right way; `extra` plants (or
    replaces) files."""
    files = {
        "__init__.py": '"""A tiny faqbot."""\n',
        "errors.py": "class FaqbotError(Exception):\n    pass\n",
        "settings.py": "class Settings:\n    pass\n",
        "models.py": "from faqbot.errors import FaqbotError\n",
        "text/__init__.py": INIT.format(holds="Words.", may="the kernel"),
        "text/words.py": "def words(text):\n    return text.split()\n",
        "index/__init__.py": INIT.format(holds="BM25.", may="the kernel, text ..."),
        "index/bm25.py": "from faqbot.models import FaqbotError\nfrom faqbot.text.words import words\n",
        "answering/__init__.py": INIT.format(holds="Answers.", may="up to index"),
        "answering/decide.py": "from ..index import bm25\n\n\ndef decide(hits):\n    return hits\n",
    }
    files.update(extra or {})
    return _plant(root, files)


def test_a_package_that_follows_the_rules_passes(tmp_path: Path) -> None:
    found = check_layout(_tiny_package(tmp_path))
    assert found == Layout()


def test_a_planted_lazy_back_import_fails_with_file_line_and_import(tmp_path: Path) -> None:
    back = "def tokens(text):\n    from faqbot.index.bm25 import words\n\n    return words(text)\n"
    found = check_layout(_tiny_package(tmp_path, {"text/stems.py": back}))
    assert found.direction == [
        "src/faqbot/text/stems.py:2: from faqbot.index.bm25 import words  "
        "[text imports index: text may import kernel]"
    ]


def test_a_relative_back_import_and_the_cycle_it_closes_are_caught(tmp_path: Path) -> None:
    package_dir = _tiny_package(
        tmp_path, {"text/words.py": "def words(text):\n    from ..index import bm25\n"}
    )
    found = check_layout(package_dir)
    assert found.direction == [
        "src/faqbot/text/words.py:2: from ..index import bm25  "
        "[text imports index: text may import kernel]"
    ]
    assert found.cycles == [
        "cycle faqbot.index.bm25 -> faqbot.text.words -> faqbot.index.bm25\n"
        "    src/faqbot/index/bm25.py:2: from faqbot.text.words import words\n"
        "    src/faqbot/text/words.py:2: from ..index import bm25"
    ]


def test_siblings_and_the_kernel_may_not_import_sideways_or_up(tmp_path: Path) -> None:
    found = check_layout(
        _tiny_package(
            tmp_path,
            {
                "http/__init__.py": INIT.format(holds="HTTP.", may="up to serving"),
                "http/app.py": "import faqbot.cli.main\n",
                "cli/__init__.py": INIT.format(holds="CLI.", may="up to serving"),
                "cli/main.py": "",
                "errors.py": "from faqbot import text\n",
            },
        )
    )
    assert found.direction == [
        "src/faqbot/errors.py:1: from faqbot import text  "
        "[kernel imports text: kernel may import nothing of the package]",
        "src/faqbot/http/app.py:1: import faqbot.cli.main  "
        "[http imports cli: http may import kernel, text, corpus, embedding, index, "
        "answering, publishing, operations, serving]",
    ]


def test_answering_that_reads_settings_or_files_is_caught(tmp_path: Path) -> None:
    impure = (
        "from pathlib import Path\n\n\ndef policy(folder):\n"
        "    from faqbot.settings import Settings\n\n"
        "    return (folder / 'calibration.json').read_text(), open('x'), Settings\n"
    )
    found = check_layout(_tiny_package(tmp_path, {"answering/policy.py": impure}))
    assert found.purity == [
        "src/faqbot/answering/policy.py:5: from faqbot.settings import Settings  "
        "[answering must not read settings]",
        "src/faqbot/answering/policy.py:7: return (folder / 'calibration.json').read_text(), "
        "open('x'), Settings  [answering does no file I/O]",
        "src/faqbot/answering/policy.py:7: return (folder / 'calibration.json').read_text(), "
        "open('x'), Settings  [answering does no file I/O]",
    ]


def test_an_unplaced_module_and_an_undocumented_subpackage_are_caught(tmp_path: Path) -> None:
    found = check_layout(
        _tiny_package(
            tmp_path, {"helpers.py": "", "corpus/__init__.py": "", "corpus/articles.py": ""}
        )
    )
    assert [line.split(":")[0] for line in found.unplaced] == ["src/faqbot/helpers.py"]
    assert found.docstrings == [
        "src/faqbot/corpus/__init__.py: needs a docstring saying in two lines what corpus/ "
        "holds and what it may import"
    ]
