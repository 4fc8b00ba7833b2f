"""The ISSU data path: pre/post (bulk copy), run (live changes), zk, verify."""
