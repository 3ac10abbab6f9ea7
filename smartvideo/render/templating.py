"""Sandboxed Jinja2 for scene authors' texts and customer data.

Scene files and customer records can never reach Python internals (SandboxedEnvironment), a
missing field is an error naming the field (StrictUndefined), and a null value or leftover
template syntax is an error too, so `None` or `{{` never reaches the screen or the voice.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from smartvideo.errors import SceneError, TemplateDataError
from smartvideo.render import formatting


class Record(dict[str, Any]):
    """A customer-data mapping that knows its dotted path, for precise missing-field messages."""

    __slots__ = ("path",)

    def __init__(self, data: Mapping[str, Any], path: str = ""):
        super().__init__(data)
        self.path = path


def as_record(value: Any, path: str = "") -> Any:
    """Wrap nested dicts (and dicts in lists) as Records; other values pass unchanged.

    A null is treated as a missing field (an Undefined naming it), so `default(...)` and
    `is defined` work on it and printing it is an error that names the field, never `None`.
    """
    if value is None:
        return StrictUndefined(hint=f"field '{path}' is empty (null); give it a value or declare a default",
                               name=path.rsplit(".", 1)[-1])
    if isinstance(value, Mapping):
        return Record({k: as_record(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}, path)
    if isinstance(value, list | tuple):
        return [as_record(v, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def _finalize(value: Any) -> Any:
    if value is None:
        raise TemplateDataError("a field used in the text is empty (null); give it a value or a default")
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        raise TemplateDataError(f"a field holds template syntax ('{{{{' or '{{%'), refused: {value[:40]!r}")
    return value


class _ScenesEnvironment(SandboxedEnvironment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Record) and attribute not in obj and not hasattr(dict, attribute):
            where = f"{obj.path}.{attribute}" if obj.path else attribute
            return self.undefined(obj=obj, name=attribute, hint=f"missing field '{where}'")
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Record) and isinstance(argument, str) and argument not in obj:
            where = f"{obj.path}.{argument}" if obj.path else argument
            return self.undefined(obj=obj, name=argument, hint=f"missing field '{where}'")
        return super().getitem(obj, argument)


def _ctx_locale(ctx: Context) -> str:
    return str(ctx.get("_locale", "en"))


def _ctx_currency(ctx: Context) -> str:
    return str(ctx.get("_currency", "EUR"))


@pass_context
def _money(ctx: Context, value: Any, currency: str | None = None) -> str:
    return formatting.format_money(value, currency or _ctx_currency(ctx), _ctx_locale(ctx))


@pass_context
def _money_words(ctx: Context, value: Any, currency: str | None = None) -> str:
    return formatting.format_money_words(value, currency or _ctx_currency(ctx), _ctx_locale(ctx))


@pass_context
def _date(ctx: Context, value: Any, style: str = "long") -> str:
    return formatting.format_date(value, _ctx_locale(ctx), style)


@pass_context
def _number(ctx: Context, value: Any, fmt: str = "decimal") -> str:
    return formatting.format_number(value, fmt, _ctx_locale(ctx), _ctx_currency(ctx))


@pass_context
def _money_change(ctx: Context, value: Any, currency: str | None = None) -> str:
    return formatting.format_money_change(value, currency or _ctx_currency(ctx), _ctx_locale(ctx))


@pass_context
def _money_change_words(ctx: Context, value: Any, currency: str | None = None) -> str:
    return formatting.format_money_change(value, currency or _ctx_currency(ctx), _ctx_locale(ctx), spoken=True)


@pass_context
def _change(ctx: Context, value: Any, unit: str = "") -> str:
    return formatting.format_change(value, unit, _ctx_locale(ctx))


@pass_context
def _payment(ctx: Context, value: Any, currency: str | None = None) -> str:
    return formatting.format_payment(value, currency or _ctx_currency(ctx), _ctx_locale(ctx))


@pass_context
def _payment_words(ctx: Context, value: Any, currency: str | None = None) -> str:
    return formatting.format_payment(value, currency or _ctx_currency(ctx), _ctx_locale(ctx), spoken=True)


@pass_context
def _payment_label(ctx: Context, value: Any) -> str:
    return formatting.payment_label(value, _ctx_locale(ctx))


def _plural(count: Any, singular: str, plural_form: str | None = None) -> str:
    return formatting.plural(count, singular, plural_form)


@functools.cache
def environment() -> SandboxedEnvironment:
    """The one sandboxed environment all scene texts render in."""
    env = _ScenesEnvironment(undefined=StrictUndefined, autoescape=False, finalize=_finalize)
    env.filters.update(
        money=_money, money_words=_money_words, date=_date, number=_number, plural=_plural,
        money_change=_money_change, money_change_words=_money_change_words, change=_change,
        payment=_payment, payment_words=_payment_words, payment_label=_payment_label,
    )
    env.globals.update(plural=_plural)
    return env


@dataclass(frozen=True, slots=True)
class Where:
    """Where a template was written: for error messages."""

    file: str
    line: int

    def error(self, message: str, line_offset: int = 0) -> SceneError:
        return SceneError(message, self.file, self.line + line_offset)


def check_syntax(source: str, where: Where, expression: bool = False) -> None:
    """Raise SceneError (file:line) when a template or expression does not parse."""
    try:
        if expression:
            environment().compile_expression(source)
        else:
            environment().parse(source)
    except TemplateSyntaxError as exc:
        raise where.error(f"template syntax error: {exc.message}", (exc.lineno or 1) - 1) from None


@functools.lru_cache(maxsize=4096)
def _compiled(source: str) -> Template:
    """A scene text compiled once: a campaign plans the same texts for every customer."""
    return environment().from_string(source)


def render_text(source: str, context: Mapping[str, Any], where: Where) -> str:
    """Render one scene text with customer data; missing or hostile data is a TemplateDataError."""
    if "{" not in source:
        return source
    try:
        template = _compiled(source)
    except TemplateSyntaxError as exc:
        raise where.error(f"template syntax error: {exc.message}", (exc.lineno or 1) - 1) from None
    try:
        text = template.render(context)
    except UndefinedError as exc:
        raise TemplateDataError(f"{where.file}:{where.line}: {exc.message}") from None
    except SecurityError as exc:
        raise TemplateDataError(f"{where.file}:{where.line}: not allowed in a template: {exc}") from None
    except TemplateDataError as exc:
        raise TemplateDataError(f"{where.file}:{where.line}: {exc}") from None
    except (TypeError, ValueError, ArithmeticError, AttributeError) as exc:
        raise _compute_error(exc, source, where, expression=False) from None
    return " ".join(text.split()) if "\n" in text else text.strip()


def evaluate(expression: str, context: Mapping[str, Any], where: Where) -> Any:
    """Evaluate a `when:` condition or a data expression such as `bill.lines`."""
    try:
        compiled = environment().compile_expression(expression, undefined_to_none=False)
    except TemplateSyntaxError as exc:
        raise where.error(f"expression syntax error: {exc.message}") from None
    try:
        result = compiled(**context)
    except UndefinedError as exc:
        raise TemplateDataError(f"{where.file}:{where.line}: {exc.message}") from None
    except SecurityError as exc:
        raise TemplateDataError(f"{where.file}:{where.line}: not allowed: {exc}") from None
    except (TypeError, ValueError, ArithmeticError, AttributeError) as exc:
        raise _compute_error(exc, expression, where, expression=True) from None
    if isinstance(result, StrictUndefined):
        # compile_expression returns Undefined instead of raising for a bare missing name.
        try:
            str(result)
        except UndefinedError as exc:
            raise TemplateDataError(f"{where.file}:{where.line}: {exc.message}") from None
    return result


def _compute_error(exc: Exception, source: str, where: Where, expression: bool) -> TemplateDataError:
    """A failed computation as a user's message: what failed and which fields the text reads."""
    from decimal import DivisionByZero, InvalidOperation

    from smartvideo.render.contract import template_references

    if isinstance(exc, ZeroDivisionError | DivisionByZero) or "division by zero" in str(exc):
        what = "it divides by zero"
    elif isinstance(exc, InvalidOperation):
        what = "a field holds no usable number"
    else:
        what = "a field has the wrong type for it"
    try:
        fields = sorted(set(template_references(source, expression)) - {"_locale", "_currency"})
    except TemplateSyntaxError:
        fields = []
    reads = f" (it reads {', '.join(fields)}; declare their types and bounds in the story's contract)" \
        if fields else ""
    return TemplateDataError(f"{where.file}:{where.line}: cannot compute this text: {what}{reads}")


def uses_data(source: str) -> bool:
    """True when a text has template syntax (and so may depend on customer data)."""
    return "{{" in source or "{%" in source
