"""Where plugins meet the host: loading them, building the configured sources, running one scan,
and the starter config.
"""
