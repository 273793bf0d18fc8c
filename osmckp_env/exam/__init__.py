"""The exam domain (the bottom layer): problem pools, suites, cost levels, prompts, token counting
and the knapsack rule. Pure data and functions; nothing here grades, scores or calls a model.

- ``problems``: the bundled GSM8K / MATH / AIME pools as ``Problem`` records.
- ``suites``: deterministic, hashed exams (``SuiteConfig``, ``Suite``, ``get_suite``).
- ``levels``: ``LevelBins`` (tokens -> Level-k) and the ``<predicted_level>`` tag.
- ``prompts``: the exam prompt and the level legend, rendered from the bins in use.
- ``tokenization``: token counting and the hard budget cut.
- ``knapsack``: the greedy-by-levels plan of the paper's baseline.
"""
