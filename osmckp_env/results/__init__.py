"""Results and records files: reading, writing, validating their format and hashing (``io``)."""
