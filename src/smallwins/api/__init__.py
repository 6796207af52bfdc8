"""The plugin API: what a plugin implements (detectors, rules, wordings) and what it is handed.
Imports nothing above it; the public face, ``smallwins``, re-exports it.
"""
