"""Prefect flows: they orchestrate the pipeline's tasks and hold no logic of their own."""
