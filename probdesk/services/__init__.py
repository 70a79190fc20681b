"""Use cases: what inspectors, team leads and report writers do, without any GUI."""
