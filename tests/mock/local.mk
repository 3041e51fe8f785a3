# cqlmock: an in-memory multi-node CQL cluster on loopback (built, not installed).
