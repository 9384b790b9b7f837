"""HTTP and websocket routes, one module-level router per resource; each stays thin over the
services in :mod:`presshold.server.deps`."""
