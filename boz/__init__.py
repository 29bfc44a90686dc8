"""Boz Ripper: insert a disc, get correctly named, transcoded files in a media library.

The design keeps ``flows/``, ``tasks/``, ``models/``, ``deployments/`` and
``migrations/`` beside this package at the top of the checkout. An install maps them
into ``boz`` (see pyproject.toml); when ``boz`` is imported straight from a checkout
(a Prefect worker running a deployment from a clean clone, with the checkout as its
working directory) the checkout root joins this package's search path, so
``boz.flows`` resolves to the same files without installing bare top-level packages.
"""

from pathlib import Path

_checkout = Path(__file__).resolve().parent.parent
if (_checkout / "pyproject.toml").is_file() and (_checkout / "flows" / "__init__.py").is_file():
    __path__.append(str(_checkout))
