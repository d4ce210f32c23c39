"""Orchestration of `make run` and `make demo`; not a Django app."""
