"""The REST API: thin routes over the registry, series store and services."""
