"""Structured logs: one JSON object per line, the request's id on every record, IINs masked everywhere.

The filters go on the handlers (config/settings.py LOGGING), not on loggers: a handler sees every
record that reaches it, whichever library's logger made it, so no IIN slips through a third-party log.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
from typing import Any

from kezek.domain.iin import is_valid_iin

# The request being answered in this thread or task; set by kezek.core.middleware.RequestIdMiddleware.
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("kezek_request_id", default=None)

_TWELVE_DIGITS = re.compile(r"(?<!\d)\d{12}(?!\d)")
# Attributes every LogRecord has; anything else on a record came from ``extra=`` and goes into the JSON.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# Record attributes holding code locations, names or the request's id, never personal data: the id is random
# (nginx's $request_id, or ours), and masking one that happens to hold an IIN-like run would stop it matching
# nginx's log and the audit event.
_NOT_MASKED = frozenset(
    {"name", "levelname", "pathname", "filename", "module", "funcName", "threadName", "processName", "taskName",
     "request_id"}
)
# Fields of the request log, written in this order right after the basics.
REQUEST_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "user_id")


def mask_iins(text: str) -> str:
    """Replace every 12-digit run that is a valid IIN (check digit and all) by stars and its last 4 digits."""
    return _TWELVE_DIGITS.sub(lambda m: "********" + m.group()[-4:] if is_valid_iin(m.group()) else m.group(), text)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_iins(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_masked(v) for v in value)
    return value


class MaskIinFilter(logging.Filter):
    """Mask IINs in the message, its arguments, extra fields and the traceback of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Format the message first: an IIN may only appear once arguments are put into it (e.g. a model's repr).
        try:
            message = record.getMessage()
        except Exception:  # a call with the wrong arguments must not crash the code that logged; keep both raw
            message = f"{record.msg} {record.args!r}"
        record.msg = mask_iins(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_iins(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_iins(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and key not in _NOT_MASKED:
                setattr(record, key, _masked(value))
        return True


class RequestIdFilter(logging.Filter):
    """Put the current request's id on every record made while answering it (None outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request fields, any extras, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in REQUEST_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in REQUEST_FIELDS:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The development format: readable, with the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
        return super().format(record)
