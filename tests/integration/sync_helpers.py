"""Shared pieces of the sync tests: loading generated data and driving realistic changes on OLD."""

from __future__ import annotations

import random
import threading
import uuid as uuidlib

from tfdata.model.cells import rows
from tfdata.model.objects import ObjectSpec, decode_row
from tfdata.ops.load import load
from tfdata.stores.cluster import ClusterStore
from tfdata.stores.dump import DumpSource
from tfdata.sync.objects import UUID_REF
from tfdata.sync.simulate import ApiSimulator


def load_generated(profile, tmp_path, n_objects: int, seed: int = 3):
    from tfdata.gen import generate_dump

    path = tmp_path / f"gen-{n_objects}-{seed}.json"
    if not path.exists():
        generate_dump(path, n_objects, seed)
    with ClusterStore(profile) as target:
        load(DumpSource(path), target, force=True)
    return path


def pick_objects(profile) -> dict[str, list]:
    """Decoded objects of OLD by type (test-sized data only)."""
    from tfdata.stores.cassandra import CassandraStore

    store = CassandraStore(profile)
    try:
        by_type: dict[str, list] = {}
        for key, cells in rows(store.table_cells(UUID_REF)):
            obj = decode_row(key, cells)
            if obj.is_live:
                by_type.setdefault(obj.type, []).append(obj)
        return by_type
    finally:
        store.close()


def mutate_like_the_api(profile, count: int, seed: int = 11, stop: threading.Event | None = None) -> dict[str, int]:
    """Creates, updates (props set and REMOVED, refs added and REMOVED) and deletes on OLD."""
    rng = random.Random(seed)
    objects = pick_objects(profile)
    projects = objects["project"]
    networks = objects["virtual_network"]
    groups = objects.get("security_group", [])
    sim = ApiSimulator(profile, confirm=True)  # callers count what run-sync applied against what was sent
    created: list[str] = []
    done = {"create": 0, "update": 0, "delete": 0}
    try:
        for i in range(count):
            if stop is not None and stop.is_set():
                break
            roll = rng.random()
            if roll < 0.4 or not created:
                project = rng.choice(projects)
                network = rng.choice(networks)
                uid = str(uuidlib.UUID(int=rng.getrandbits(128)))
                spec = ObjectSpec(uid, "virtual_machine_interface", project.fq_name + [f"sim-port-{uid[:13]}"],
                                  parent_type="project", parent_uuid=project.uuid,
                                  props={"display_name": f"sim-port-{i}", "virtual_machine_interface_mac_addresses":
                                         {"mac_address": [f"02:00:00:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}"]}},
                                  refs=[("virtual_network", network.uuid, None)])
                if groups:
                    spec.refs.append(("security_group", rng.choice(groups).uuid, None))
                sim.create(spec)
                created.append(uid)
                done["create"] += 1
            elif roll < 0.85:
                uid = rng.choice(created)
                pick = rng.random()
                if pick < 0.35:
                    sim.update(uid, set_props={"display_name": f"renamed-{i}"},
                               remove_props=["virtual_machine_interface_mac_addresses"])
                elif pick < 0.5:  # share with another project, or stop sharing (obj_shared_table follows)
                    current = decode_row(uid, sim.db.row_cells(UUID_REF, uid))
                    perms2 = dict(current.props.get("perms2") or {})
                    perms2["share"] = [] if perms2.get("share") else [
                        {"tenant": f"tenant:{rng.choice(projects).uuid}", "tenant_access": 5}]
                    sim.update(uid, set_props={"perms2": perms2})
                else:
                    current = decode_row(uid, sim.db.row_cells(UUID_REF, uid))
                    sgs = [u for (t, u) in current.refs if t == "security_group"]
                    if sgs:
                        sim.update(uid, remove_refs=[("security_group", sgs[0])])
                    elif groups:
                        sim.update(uid, add_refs=[("security_group", rng.choice(groups).uuid, None)])
                done["update"] += 1
            else:
                uid = created.pop(rng.randrange(len(created)))
                sim.delete(uid)
                done["delete"] += 1
    finally:
        sim.close()
    return done
