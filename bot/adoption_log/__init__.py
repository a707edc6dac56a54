"""The adoption log: one pseudonymous, redacted row per message and per reply.

`records` turns Rasa events into rows (and holds the metadata contract between the
action and the log), `outbox` keeps rows on local disk until the database has them,
`store` is the table, `export` writes CSV or JSON lines, `demo_data` fills it for trying
the dashboard."""
