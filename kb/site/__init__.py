"""The static site: records and determinations rendered to Markdown, built by mkdocs-material."""
