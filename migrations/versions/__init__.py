"""Alembic revisions: the domain database schema, one file per change."""
