"""Analytics errors; each carries the HTTP status the beacon endpoint answers with."""

from __future__ import annotations

from smartvideo.errors import SmartVideoError


class AnalyticsError(SmartVideoError):
    """Base of the analytics errors."""

    status = 400


class BeaconRejected(AnalyticsError):
    """A beacon batch is malformed or implausible (HTTP 400)."""

    status = 400


class BeaconTooLarge(BeaconRejected):
    """A beacon batch is larger than allowed (HTTP 413)."""

    status = 413


class ReportError(AnalyticsError):
    """A report cannot be made (bad filter, unknown format)."""
