"""Release signing with The Update Framework: keys, repository metadata, releases as targets.

Named ``signing`` (not ``release``) because ``training.release`` builds the manifest of a release;
this package signs what that module produced.
"""
