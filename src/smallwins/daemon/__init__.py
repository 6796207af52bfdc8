"""The daemon: watching, scanning, reloading and stopping; one per state folder; the service unit
that runs it.
"""
