"""One module or package per ledger URL scheme, each with ``open_ledger(url, readonly=...)``
and ``location(url)``."""
