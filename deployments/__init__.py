"""Running Prefect for Boz Ripper: a local server for one machine (the demo, the tests, a
single host). Deployments themselves are declared in ``prefect.yaml``."""
