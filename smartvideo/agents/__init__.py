"""Agents: API keys (stored hashed), the audit log, per-key rate limits and the push itself.

A contact-centre agent sends a customer their video after a call (`POST /api/v1/videos` or the
agent page); `smartvideo campaign` does the same for every customer in a file.
"""
