"""Security headers on every response: a CSP without inline script, nosniff, a framing policy.

`frame_ancestors` (SMARTVIDEO_FRAME_ANCESTORS) lists who may embed the pages, as CSP sources:
"'self'" by default, "'none'" to forbid framing, or a customer's portal ("https://portal.example").
hls.js plays through Media Source Extensions, so media comes from blob: URLs.
"""

from __future__ import annotations

from flask import Flask, Response

NO_FRAMING = "'none'"


def content_security_policy(frame_ancestors: str) -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        # Inline style attributes stay allowed (the report's bar widths); inline script does not.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "media-src 'self' blob:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors.strip() or NO_FRAMING}",
    ])


def security_headers(frame_ancestors: str) -> dict[str, str]:
    """The headers every response carries (for paths that answer without Flask, like the beacon)."""
    headers = {"Content-Security-Policy": content_security_policy(frame_ancestors), "X-Content-Type-Options": "nosniff"}
    framing = frame_ancestors.strip()
    # Older browsers know only X-Frame-Options; it cannot list other sites, so it is sent
    # only for the two policies it can say.
    if framing == "'self'":
        headers["X-Frame-Options"] = "SAMEORIGIN"
    elif framing in (NO_FRAMING, ""):
        headers["X-Frame-Options"] = "DENY"
    return headers


def install_security_headers(app: Flask, frame_ancestors: str) -> None:
    headers = security_headers(frame_ancestors)

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
