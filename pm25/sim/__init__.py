"""The scene simulator's parts; import the public API from :mod:`pm25.scene`."""
