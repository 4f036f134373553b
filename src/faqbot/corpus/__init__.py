"""The editors' corpus: articles and front matter, chunking, import, check, editors' files.

May import: the kernel and text.
"""
