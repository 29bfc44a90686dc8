"""Prefect tasks: thin wrappers that give each pipeline step a name, retries and a run context.

The work itself is in ``boz.pipeline``, which knows nothing of Prefect.
"""
