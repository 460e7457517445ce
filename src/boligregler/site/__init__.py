"""The published policy site: one Markdown page per policy, a comparison and an index, and the MkDocs plugin."""
