"""Retrieval: embedding, the on-disk index (SQLite, FAISS, BM25) and hybrid search."""
