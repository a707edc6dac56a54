"""Where salespeople write: the Telegram connector (with its access control), the Slack
connector, the Rasa client both share, and the local web chat. All of them reach the one
Rasa server through the REST channel in `bot.rasa_plugins.rest_channel`."""
