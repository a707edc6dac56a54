"""Ways in: Rasa input channels and the connectors that feed them."""
