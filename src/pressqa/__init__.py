"""PressQA: ask questions of press releases and get cited, extractive answers."""

__version__ = "0.1.0"
