"""Campaigns: a stored list of customers to invite once each, run and resumed from the CLI."""
