"""The memory model (predicted peaks per stage and placement profile), profiles, placement and fitting."""
