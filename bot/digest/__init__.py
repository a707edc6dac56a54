"""The weekly digest: the dashboard's figures of one ISO week, for the whole company or one team,
as a compact HTML e-mail with its charts as images and as a short chat message with one chart.

- `settings`: when and where it goes (COACH_DIGEST_*, SMTP_*), read from the environment;
- `figures`: the week's figures, taken only from the dashboard's queries (so they match it,
  small groups hidden the same way), and the refusal of a team under 5 people;
- `charts`: the PNG charts (matplotlib, Agg backend);
- `render`: the HTML, the e-mail and the chat text in it/es/en (gettext domain `digest`);
- `delivery`: SMTP, Telegram and Slack;
- `worker`: `make run`'s weekly sender (`python -m bot.digest.worker`).
"""
