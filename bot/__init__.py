"""The CRM adoption coach: knowledge base, NLU components, replies and tools around the Rasa bot."""
