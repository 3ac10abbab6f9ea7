"""CSRF tokens for the small forms (agent page, analyst login): one per session, checked on POST."""

from __future__ import annotations

import hmac
import secrets

from flask import request, session

_SESSION_KEY = "csrf"


def csrf_token() -> str:
    """The session's token, made on first use; put it in a hidden `csrf` field."""
    if _SESSION_KEY not in session:
        session[_SESSION_KEY] = secrets.token_urlsafe(24)
    return str(session[_SESSION_KEY])


def csrf_ok() -> bool:
    """True when the posted form carries the session's token."""
    sent = request.form.get("csrf", "")
    return bool(sent) and hmac.compare_digest(sent, str(session.get(_SESSION_KEY, "")))
