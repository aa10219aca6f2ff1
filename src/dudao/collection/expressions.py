"""The formula language (公式) shared by validation rules and indicators.

A formula is a Python-looking arithmetic/boolean expression over data element codes, e.g.
``edu_bachelor + edu_master_plus == teachers_fulltime`` or ``students_total / teachers_fulltime``.
It is parsed with :mod:`ast` into a tree and then *interpreted* by walking a whitelist of node types — nothing is ever
passed to ``eval``, so a catalog entry cannot run code. Division by zero gives ``None`` ("not computable") rather
than an exception, because a school with no graduates simply has no employment rate.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, DivisionByZero, InvalidOperation
from functools import lru_cache

from dudao.errors import DudaoError

MAX_LENGTH = 2000
MAX_DEPTH = 50

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_FUNCTIONS: dict[str, Callable[..., Decimal]] = {"abs": abs, "min": min, "max": max}


@dataclass(frozen=True)
class Expression:
    text: str
    tree: ast.Expression = field(repr=False, compare=False)
    names: frozenset[str] = frozenset()

    def evaluate(self, values: Mapping[str, Decimal | int | float | None]) -> Decimal | bool | None:
        """Value of the formula; ``None`` when an input is missing or a division has a zero denominator."""
        try:
            return _eval(self.tree.body, values)
        except _Missing:
            return None


class _Missing(Exception):
    pass


@lru_cache(maxsize=2048)
def parse(text: str) -> Expression:
    """Parse and vet ``text`` once; the result is immutable, so the cache can hand the same object to every caller."""
    if not isinstance(text, str) or not text.strip():
        raise DudaoError("公式为空")
    if len(text) > MAX_LENGTH:
        raise DudaoError(f"公式过长（超过 {MAX_LENGTH} 个字符）")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise DudaoError(f"公式语法错误（第 {exc.offset or 0} 个字符）：{text}") from None
    except (ValueError, RecursionError, MemoryError):
        raise DudaoError(f"公式无法解析：{text}") from None
    names: set[str] = set()
    _check(tree.body, names, 0)
    return Expression(text=text.strip(), tree=tree, names=frozenset(names))


def _check(node: ast.AST, names: set[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise DudaoError("公式嵌套过深")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise DudaoError(f"公式中只能使用数字常量：{node.value!r}")
    elif isinstance(node, ast.Name):
        names.add(node.id)
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, names, depth + 1)
        _check(node.right, names, depth + 1)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
        _check(node.operand, names, depth + 1)
    elif isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        for child in [node.left, *node.comparators]:
            _check(child, names, depth + 1)
    elif isinstance(node, ast.BoolOp):
        for child in node.values:
            _check(child, names, depth + 1)
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and not node.keywords
        and node.args
    ):
        if node.func.id == "abs" and len(node.args) != 1:
            raise DudaoError("abs() 只接受一个参数")
        for child in node.args:
            _check(child, names, depth + 1)
    else:
        raise DudaoError(f"公式中不允许的写法：{ast.dump(node)[:60]}")


def _number(value) -> Decimal:
    if value is None:
        raise _Missing
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return Decimal(int(value))
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise _Missing from None


def _eval(node: ast.AST, values: Mapping[str, Decimal | int | float | None]):
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        return _number(values.get(node.id))
    if isinstance(node, ast.BinOp):
        # arithmetic on a comparison's result counts it as 1/0, always as a Decimal (True + True is 2, not int 2)
        left, right = _number(_eval(node.left, values)), _number(_eval(node.right, values))
        if isinstance(node.op, ast.Div) and right == 0:
            raise _Missing
        try:
            return _BINARY[type(node.op)](left, right)
        except (InvalidOperation, DivisionByZero):
            raise _Missing from None
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, values)
        if isinstance(node.op, ast.Not):
            return not operand
        operand = _number(operand)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Compare):
        left = _eval(node.left, values)
        for op, comparator in zip(node.ops, node.comparators):
            right = _eval(comparator, values)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.BoolOp):
        results = [_eval(v, values) for v in node.values]
        return all(results) if isinstance(node.op, ast.And) else any(results)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):  # _check admits calls of named functions only
        args = [_number(_eval(a, values)) for a in node.args]
        if node.func.id == "abs":
            return abs(args[0])  # one argument: _check refused any other count
        return _FUNCTIONS[node.func.id](args)  # min/max of the arguments, also of just one
    raise AssertionError("unreachable")  # pragma: no cover — _check rejects everything else
