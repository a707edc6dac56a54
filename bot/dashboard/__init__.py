"""The adoption dashboard: a small server-rendered Flask app over the adoption log.

The package owns the dashboard's web side. `app.create_app` configures the app and registers
one blueprint per audience, each in its own module:
- `auth`: logging in and out, throttled, back to a page of this site only;
- `analytics`: the adoption leads' overview, objections, answers and CSV downloads;
- `conversations`: the trainers' conversations, transcripts and not-understood messages;
- `trainer`: the trainers' knowledge editing, and not-understood messages made training examples;
- `admin`: the admins' user management.
Beside them: `tables` (each chart's rows, which are also its CSV), `queries` (the figures,
in SQL), `grouping` (similar not-understood messages together), `pages` (what the pages
and templates share), `guard` (who is asking, and the role a page needs), `services`
(the store, users and knowledge the views reach), `users` (accounts and roles), `throttle`
(failed logins lock out for a while) and `server` (the production WSGI server).
"""
