def register(router) -> None:
    """Registers this app's viewsets on the API router."""
