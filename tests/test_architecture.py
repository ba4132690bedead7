"""The package's import graph: no module imports itself back through any chain of imports."""

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
