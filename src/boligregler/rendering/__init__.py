"""Rendering: decisions and policies as Norwegian text, Markdown, HTML and JSON."""
