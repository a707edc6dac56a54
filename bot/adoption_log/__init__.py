"""The adoption log: one pseudonymous, redacted row per message and per reply.

`records` turns Rasa events into rows (and holds the metadata contract between the
action and the log), `outbox` keeps rows on local disk until the database has them (a row
the database refuses becomes a dead letter), `store` is the table (with the erasure
tombstones and the dead letters), `export` writes CSV or JSON lines, `health` is
`coach log status`, `demo_data` fills it for trying the dashboard."""
