"""Delivery: the outbox's due moments to their targets through Apprise, bursts coalesced, quiet
hours kept, failures backed off.
"""
