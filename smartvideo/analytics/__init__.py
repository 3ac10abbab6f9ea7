"""Viewer analytics: the player beacon, its store, and drop-off reports for analysts.

Pure core: `retention` (curves, drop-off, significance), `events` (the beacon schema), `view_state`
(one view's watched seconds folded into counter deltas). Edges: `tables`/`ingest`/`report_queries` (SQL),
`formatters` (text, CSV, JSON, HTML).
"""
