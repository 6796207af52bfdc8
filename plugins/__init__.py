"""First-party smallwins plugins, loaded through the same entry points as anyone else's."""
