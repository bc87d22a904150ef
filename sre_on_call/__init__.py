"""The `sre-on-call` command line: the top layer."""
