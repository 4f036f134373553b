"""The HTTP API: app factory, schemas, error body, middleware, routes, and static/.

May import: the kernel up to serving (not cli, its sibling).
"""
