"""Helpers for testing model code offline: a tiny random-weight causal LM and a scripted server."""
