"""The web shell: app factory, authentication dependencies, templates, static files."""
