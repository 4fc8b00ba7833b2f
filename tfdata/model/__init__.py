"""The TF config-store encoding as pure functions: cells, rows, objects, fq-name index, ZooKeeper."""
