"""Rasa action server package: thin actions over bot/."""
