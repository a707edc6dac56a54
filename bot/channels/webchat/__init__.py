"""The local web chat: a page (index.html) served, with its messages, by a Rasa input
channel on Rasa's own server (channel.py, `WebChatInput`, registered in credentials.yml)."""
