"""Answering one question: understanding it, retrieval, scope, safety gate, the decision.

May import: the kernel but not settings, text, corpus, embedding, index; no file I/O.
"""
