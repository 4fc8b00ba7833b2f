"""tfdata: snapshot, diff, audit and migrate the Tungsten Fabric configuration store."""

__version__ = "0.1.0"
