"""Charts for planners and the figures each command saves in its folder (PNG files)."""
