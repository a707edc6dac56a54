"""Trainers improve the coach: what it did not understand becomes training examples
(`examples`), a retrained model replaces the current one only if it is not worse
(`training`), measured on the held-out files (`evaluation`)."""
