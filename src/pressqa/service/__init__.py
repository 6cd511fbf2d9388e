"""Service: the question-answering engine and the HTTP API around it."""
