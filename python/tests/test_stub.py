"""python/nasbench/_core.pyi describes what the compiled module binds: the same public names,
the same methods and the same argument names (help() shows the docstrings); the package
re-exports every one of them."""
import ast
import os
import re

import nasbench
from nasbench import _core

STUB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "nasbench", "_core.pyi")


def stub_tree():
    with open(STUB) as f:
        return ast.parse(f.read())


def public(names):
    return {n for n in names if not n.startswith("_")} | ({"__init__"} & set(names))


def test_stub_names_match_the_module():
    tree = stub_tree()
    top = {n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    module = {n for n in dir(_core) if not n.startswith("_")}
    assert top == module


def test_the_package_re_exports_the_compiled_module():
    # create is the package's: it returns a NATStopology / NATSsize, as nats_bench's does
    for name in (n for n in dir(_core) if not n.startswith("_") and n != "create"):
        assert getattr(nasbench, name) is getattr(_core, name), name
    assert nasbench.create is not _core.create and nasbench.create.__doc__


def test_stub_methods_and_arguments_match():
    for node in stub_tree().body:
        if not isinstance(node, ast.ClassDef) or node.name.endswith("Float") or node.name == "search":
            continue
        if issubclass(getattr(_core, node.name), BaseException):
            continue
        cls = getattr(_core, node.name)
        stub_methods = {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}
        bound = {n for n in dir(cls) if not n.startswith("_")}
        stub_public = {n for n in stub_methods if not n.startswith("_")} | {
            a.target.id for a in node.body if isinstance(a, ast.AnnAssign)}
        assert stub_public == bound, node.name
        for name, f in stub_methods.items():
            doc = getattr(cls, name).__doc__ or ""
            if isinstance(getattr(cls, name, None), property) or not doc:
                continue
            stub_args = [a.arg for a in f.args.args + f.args.kwonlyargs if a.arg != "self"]
            # pybind11's signature line: name(self: ..., a: ..., b: ... = ...) -> ...
            sig = doc.splitlines()[0] if not doc.startswith("__init__") else doc.splitlines()[0]
            m = re.match(r"\w+\((.*)\) ->", sig)
            if not m:
                continue
            bound_args = [p.split(":")[0].strip() for p in re.split(r",\s*(?![^\[]*\])", m.group(1)) if p.strip()]
            bound_args = [a for a in bound_args if a not in ("self", "*")]
            assert stub_args == bound_args, "%s.%s: stub %r, module %r" % (node.name, name, stub_args, bound_args)


def test_docstrings():
    assert nasbench.__doc__ and "nas_201_api" in nasbench.__doc__
    for f in (nasbench.create, nasbench.load, nasbench.NASBench201API.get_more_info, nasbench.NASBench201API.find_best):
        assert f.__doc__ and len(f.__doc__.splitlines()) >= 2


def signature_args(doc):
    """The argument names of pybind11's first signature line (name(a: ..., b: ... = ...) -> ...)."""
    m = re.match(r"\w+\((.*)\) ->", doc.splitlines()[0])
    assert m, doc.splitlines()[0]
    return [p.split(":")[0].strip() for p in re.split(r",\s*(?![^\[]*\])", m.group(1)) if p.strip()]


def test_stub_search_submodule_matches():
    import nasbench.search  # a module at run time, registered in sys.modules
    assert nasbench.search is nasbench.search
    node = next(n for n in stub_tree().body if isinstance(n, ast.ClassDef) and n.name == "search")
    functions = {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}
    classes = {c.name: c for c in node.body if isinstance(c, ast.ClassDef)}
    names = set(functions) | set(classes) | {a.target.id for a in node.body if isinstance(a, ast.AnnAssign)}
    assert names == {n for n in dir(nasbench.search) if not n.startswith("_")}
    for name, f in functions.items():
        stub_args = [a.arg for a in f.args.args]
        # overloaded for both API classes: every signature line names the same arguments
        for line in [l for l in getattr(nasbench.search, name).__doc__.splitlines() if l.startswith(("1. ", "2. "))]:
            assert signature_args(line[3:]) == stub_args, (name, line)
    trace = classes["Trace"]
    stub_trace = {a.target.id for a in trace.body if isinstance(a, ast.AnnAssign)} | {
        f.name for f in trace.body if isinstance(f, ast.FunctionDef) and not f.name.startswith("_")}
    assert stub_trace == {n for n in dir(nasbench.search.Trace) if not n.startswith("_")}
