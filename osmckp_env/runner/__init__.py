"""The benchmark runner: agent specs, resumable record files, results with hashes."""
