"""Fakes of remote APIs on 127.0.0.1 (none yet: the vendor connectors are not in this release)."""
