"""Alembic environment and revisions that own the domain database schema."""
