"""The layout's limits, so that no room grows back into two jobs: modules of at most 400 lines, classes of 200."""

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "pressqa"
MODULE_LINES = 400
CLASS_LINES = 200


def test_no_module_is_over_400_lines():
    sizes = {p.relative_to(SOURCE).as_posix(): len(p.read_text().splitlines()) for p in SOURCE.rglob("*.py")}
    assert sizes and not {name: n for name, n in sizes.items() if n > MODULE_LINES}


def test_no_class_is_over_200_lines():
    too_long = {}
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > CLASS_LINES:
                too_long[f"{path.relative_to(SOURCE).as_posix()}:{node.name}"] = node.end_lineno - node.lineno + 1
    assert not too_long
