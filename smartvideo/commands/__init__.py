"""Sub-commands of `smartvideo` that belong to one area each (web, analytics, agents).

Each module has `register(subparsers)`, adding its parsers with `set_defaults(func=...)`.
"""
