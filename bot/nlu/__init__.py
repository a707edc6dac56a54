"""Custom Rasa NLU components (Rasa 3 GraphComponent API)."""
