"""``boz hosts``: the catalog's hosts beside the Prefect workers of our pools.

A worker's status is Prefect's own (its heartbeat to the server), not a copy in our
database; a drive host's is its ``boz watch`` heartbeat. A host that is both is one row,
online when either says so.
"""

from __future__ import annotations

from prefect import get_client
from prefect.exceptions import ObjectNotFound

from boz.deployments.setup import POOLS
from boz.models import Host


def with_workers(hosts: list[Host]) -> list[Host]:
    by_name = {h.name: h.model_copy(deep=True) for h in hosts}
    with get_client(sync_client=True) as client:
        for pool in POOLS:
            try:
                client.read_work_pool(pool)
            except ObjectNotFound:
                continue  # `boz setup` has not run yet
            workers = client.read_workers_for_work_pool(pool)
            for worker in workers:
                role = "drive" if pool == "boz-drives" else "transcode"
                online = str(worker.status.value if worker.status else "").upper() == "ONLINE"
                host = by_name.setdefault(worker.name, Host(name=worker.name, status="offline"))
                host.roles = sorted({*host.roles, role})
                host.workers.append(f"{pool}/{worker.name}")
                if online:
                    host.status = "online"
                beat = worker.last_heartbeat_time
                if beat and (host.last_heartbeat is None or beat > host.last_heartbeat):
                    host.last_heartbeat = beat
    return sorted(by_name.values(), key=lambda h: h.name)
