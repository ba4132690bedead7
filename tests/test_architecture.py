"""The package's import graph: no module imports itself back through any chain of imports; and the
tests' layout: no test module imports another, each module with logic has its unit test file, the unit
tests under tests/bot/ never start the bot, and the scenarios through the real bot are in a feature's
folder under tests/e2e/."""

import ast
import re
from pathlib import Path

import grimp


def find_cycle(graph: grimp.ImportGraph, modules: set[str]) -> list[str] | None:
    """A cycle of imports among `modules`, as the list of modules along it, or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        path.append(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module) & modules):
            if state.get(imported) == "open":
                return [*path[path.index(imported) :], imported]
            if imported not in state and (cycle := visit(imported)):
                return cycle
        state[module] = "done"
        path.pop()
        return None

    for module in sorted(modules):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_the_bot_and_its_cogs_import_without_cycles():
    graph = grimp.build_graph("bot", "cogs")
    assert len(graph.modules) > 40
    assert find_cycle(graph, set(graph.modules)) is None


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for module in ("a", "b", "c"):
        graph.add_module(module)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="c")
    assert find_cycle(graph, {"a", "b", "c"}) is None
    graph.add_import(importer="c", imported="a")
    assert find_cycle(graph, {"a", "b", "c"}) == ["a", "b", "c", "a"]


# The tests' layout ------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"

# Modules with no logic of their own (no function, no method but Protocol stubs): nothing to unit-test.
WITHOUT_LOGIC = {
    "bot/__init__.py",
    "bot/billing/__init__.py",
    "bot/db/__init__.py",
    "bot/flow/__init__.py",
    "bot/images/__init__.py",
    "bot/jobs/__init__.py",
    "bot/jobs/work.py",
    "bot/surface/__init__.py",
}


def imported_modules(source: str, package: str) -> set[str]:
    """The absolute names of the modules that `source`, a module of `package`, imports; `from A
    import B` counts as A.B too (B may be a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                stem = package.rsplit(".", node.level - 1)[0]
                base = f"{stem}.{base}" if base else stem
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return found


def is_test_module(name: str) -> bool:
    return name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith("test_")


def test_no_test_module_imports_another():
    """A helper two test modules share lives in tests/helpers.py (or is a fixture in
    tests/conftest.py), so that a test module is only ever run, never imported."""
    found = {}
    for path in sorted(TESTS.rglob("*.py")):
        package = ".".join(path.relative_to(ROOT).parts[:-1])
        if names := sorted(filter(is_test_module, imported_modules(path.read_text(), package))):
            found[str(path.relative_to(ROOT))] = names
    assert found == {}


def test_the_import_reader_sees_a_test_module_however_it_is_imported():
    for line, name in [
        ("from tests.e2e.moderation.test_settings import settings", "tests.e2e.moderation.test_settings"),
        ("from tests.e2e.moderation import test_settings", "tests.e2e.moderation.test_settings"),
        ("import tests.bot.test_clock", "tests.bot.test_clock"),
        ("from .test_usage import run", "tests.e2e.moderation.test_usage"),
        ("from ..operations.test_shards import guild_on_shard", "tests.e2e.operations.test_shards"),
    ]:
        assert name in imported_modules(line, "tests.e2e.moderation"), line
    for line in ("from tests.helpers import settings", "from tests.bot.data.ordinary_prompts import FILTER_WORDS"):
        assert not any(map(is_test_module, imported_modules(line, "tests.e2e.moderation"))), line


def unit_test_file(module: str) -> str:
    """Where the unit tests of `module` (a path under bot/) live: beside their package's mirror
    under tests/, named test_<module>.py; a package's own logic (its __init__) in test_<package>.py
    beside the package's mirror, and __main__'s in test_main.py."""
    *folders, name = Path(module).with_suffix("").parts
    if name == "__init__":
        *folders, name = folders
    return str(Path("tests", *folders, f"test_{name.strip('_')}.py"))


def is_stub(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether `function` only declares itself (a Protocol's method): its body, past its docstring, is `...`."""
    body = function.body[1:] if ast.get_docstring(function) is not None else function.body
    return [ast.dump(statement) for statement in body] == [ast.dump(ast.Expr(ast.Constant(...)))]


def has_logic(path: Path) -> bool:
    """Whether the module at `path` defines a function or a method with a body (more than a stub)."""
    tree = ast.parse(path.read_text())
    functions = (node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef))
    return not all(map(is_stub, functions))


def test_every_module_with_logic_has_its_unit_test_file():
    modules = {str(path.relative_to(ROOT)) for path in (ROOT / "bot").rglob("*.py")}
    missing = {module for module in modules if not (ROOT / unit_test_file(module)).exists()}
    assert sorted(missing - WITHOUT_LOGIC) == [], (
        "write their unit tests (or, without logic, list them in WITHOUT_LOGIC)"
    )
    assert sorted(WITHOUT_LOGIC - missing) == [], "take them off WITHOUT_LOGIC: they have their unit test file now"
    assert sorted(module for module in WITHOUT_LOGIC if has_logic(ROOT / module)) == []


def test_a_module_of_protocol_stubs_has_no_logic(tmp_path):
    module = tmp_path / "module.py"
    stubs = [
        "class Work(Protocol):",
        "    def run(self) -> bool: ...",
        "    async def tell(self, text: str) -> None:",
        '        """Tell the member."""',
        "        ...",
    ]
    for lines, logic in [
        ([], False),
        (["X = 1", "class Waiting:", "    position: int"], False),
        (stubs, False),
        ([*stubs, "def shown(x):", "    return x"], True),
        (["class Work(Protocol):", "    def run(self) -> bool:", '        """Run."""', "        return True"], True),
        (["def nothing():", "    pass"], True),
    ]:
        module.write_text("\n".join(lines) + "\n")
        assert has_logic(module) is logic, lines


def test_a_module_s_unit_tests_are_found_by_its_name():
    assert unit_test_file("bot/flow/accounts.py") == "tests/bot/flow/test_accounts.py"
    assert unit_test_file("bot/clock.py") == "tests/bot/test_clock.py"
    assert unit_test_file("bot/config/__init__.py") == "tests/bot/test_config.py"
    assert unit_test_file("bot/__main__.py") == "tests/bot/test_main.py"


# Names through which a test starts the real bot: the fixture and the helpers that run its process
# (building an ImageBot without logging in, as test_app does, starts nothing).
STARTS_THE_BOT = {
    "start_bot",
    "start_bot_process",
    "start_shard_processes",
    "start_quiet_process",
    "run_sandbox",
}


def names_used(source: str) -> set[str]:
    """Every name `source` uses, defines, imports or takes as a parameter (a fixture), and every
    attribute it reads."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.alias):
            found.add(node.name.rsplit(".", 1)[-1])
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.add(node.name)
    return found


def test_no_unit_test_starts_the_bot():
    """A test that starts the real bot is a scenario: it lives under tests/e2e/<feature>/, and
    tests/bot/ holds the unit tests, one file per module."""
    found = {}
    for path in sorted((TESTS / "bot").rglob("*.py")):
        if names := sorted(names_used(path.read_text()) & STARTS_THE_BOT):
            found[str(path.relative_to(ROOT))] = names
    assert found == {}


def test_the_name_reader_sees_the_bot_started_however_it_is_started():
    for source in (
        "async def test_x(make_config, start_bot):\n    await start_bot(make_config())",
        "from tests.sandbox import start_bot_process",
        "import tests.sandbox\nawait tests.sandbox.run_sandbox('a fox', out)",
        "async with helpers.start_shard_processes(tmp_path) as processes: pass",
    ):
        assert names_used(source) & STARTS_THE_BOT, source
    assert not names_used("from bot.surface.invite import invite_url\nrun = await run_bot_command('migrate')") & (
        STARTS_THE_BOT
    )


def misplaced_scenarios(e2e: Path) -> list[str]:
    """The files under `e2e` that are not in a feature's folder (a package right under it), but for
    its own __init__.py."""
    misplaced = []
    for path in sorted(e2e.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts:
            continue
        parts = path.relative_to(e2e).parts
        in_a_feature = len(parts) == 2 and (e2e / parts[0] / "__init__.py").is_file()
        if parts != ("__init__.py",) and not in_a_feature:
            misplaced.append("/".join(parts))
    return misplaced


def test_every_scenario_is_in_a_feature_folder():
    assert (TESTS / "e2e" / "__init__.py").is_file()
    assert misplaced_scenarios(TESTS / "e2e") == []


def test_a_scenario_outside_a_feature_folder_is_found(tmp_path):
    for folder in ("imagine", "loose", "imagine/deeper"):
        (tmp_path / folder).mkdir()
    for name in ("__init__.py", "test_top.py", "imagine/__init__.py", "imagine/test_imagine.py", "loose/test_x.py"):
        (tmp_path / name).write_text("")
    (tmp_path / "imagine/deeper/test_y.py").write_text("")
    assert misplaced_scenarios(tmp_path) == ["imagine/deeper/test_y.py", "loose/test_x.py", "test_top.py"]


# docs/architecture.md -----------------------------------------------------------------------------

ARCHITECTURE = ROOT / "docs" / "architecture.md"


def named_paths(text: str) -> set[str]:
    """The Python files `text` names by a path (a folder and a file, `bot/flow/intake.py`); a
    bare file name (`discord.py`) is no path."""
    return set(re.findall(r"(?<![\w./-])((?:[\w-]+/)+[\w-]+\.py)\b", text))


def test_the_path_reader_finds_paths_and_not_bare_names():
    text = "`bot/flow/intake.py` and cogs/usage.py, (`tests/standins/images_api.py`), discord.py, flow/answers.py."
    assert named_paths(text) == {
        "bot/flow/intake.py",
        "cogs/usage.py",
        "tests/standins/images_api.py",
        "flow/answers.py",
    }


def test_the_architecture_page_names_every_module_and_only_files_that_exist():
    """docs/architecture.md names each module under bot/ and cogs/ (an __init__ without logic
    aside) by its path, and every .py path it names is a file of the repository, written from its
    root or from bot/."""
    named = named_paths(ARCHITECTURE.read_text())
    modules = {
        str(path.relative_to(ROOT))
        for package in ("bot", "cogs")
        for path in (ROOT / package).rglob("*.py")
        if path.name != "__init__.py" or has_logic(path)
    }
    assert sorted(modules - named) == [], "name them in docs/architecture.md, each with a line on what it is"
    gone = {path for path in named if not (ROOT / path).is_file() and not (ROOT / "bot" / path).is_file()}
    assert sorted(gone) == [], "docs/architecture.md names files that do not exist"
