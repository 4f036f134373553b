"""An index version on disk (FAISS, BM25, alternates, manifest, provenance) and its history.

May import: the kernel, text, corpus and embedding.
"""
