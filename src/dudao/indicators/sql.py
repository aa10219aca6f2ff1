"""Translate a formula into DuckDB SQL over element columns.

The same whitelist as the interpreter in :mod:`dudao.collection.expressions`; a division becomes ``/ NULLIF(x, 0)``
so a school without graduates yields NULL (not computable), exactly as the interpreter yields ``None``.
"""

import ast

from dudao.collection.expressions import Expression
from dudao.errors import DudaoError

_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}
_FUNCS = {"abs": "ABS", "min": "LEAST", "max": "GREATEST"}


def column(code: str) -> str:
    return '"' + code.replace('"', '""') + '"'


def to_sql(expression: Expression) -> str:
    return _sql(expression.tree.body)


def _sql(node: ast.AST) -> str:
    if isinstance(node, ast.Constant):
        return f"CAST({node.value!r} AS DOUBLE)"
    if isinstance(node, ast.Name):
        return column(node.id)
    if isinstance(node, ast.BinOp):
        left, right = _sql(node.left), _sql(node.right)
        if isinstance(node.op, ast.Div):
            return f"({left} / NULLIF({right}, 0))"
        return f"({left} {_OPS[type(node.op)]} {right})"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return f"({'-' if isinstance(node.op, ast.USub) else '+'}{_sql(node.operand)})"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return f"{_FUNCS[node.func.id]}({', '.join(_sql(a) for a in node.args)})"
    raise DudaoError("指标公式只能包含算术运算")
