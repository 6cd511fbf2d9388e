"""Ingest: reading releases (files, PDFs, web pages, feeds), analysing, chunking and indexing them."""
