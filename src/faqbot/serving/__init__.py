"""Serving a published version in a process: serving state, hot reload, worker processes.

May import: the kernel up to publishing and operations.
"""
