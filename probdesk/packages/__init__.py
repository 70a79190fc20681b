"""Signed, encrypted package files exchanged through the shared folder (format in docs)."""
