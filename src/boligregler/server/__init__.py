"""The decision service: the ASGI app, the policy registry with hot reload, and the decision log."""
