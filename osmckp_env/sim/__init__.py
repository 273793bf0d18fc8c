"""OSMCKP-Sim-v0: the numeric allocation problem, response profiles, exact oracle and policies."""
