"""Text to vectors: the Embedder protocol, torch and ONNX encoders, batching, caches.

May import: the kernel, text and corpus.
"""
