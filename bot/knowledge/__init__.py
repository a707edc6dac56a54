"""The knowledge base in `knowledge/`: every answer the coach gives, written from the
source documents. `base` loads and validates it, `reload` follows edits in a running
process, `editor` saves and versions trainers' edits, `check` reports gaps per intent and
language, and `replies` composes each reply (answer, source, buttons) from it."""
