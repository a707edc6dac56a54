"""The adoption dashboard: a small server-rendered Flask app over the adoption log.

The package owns the dashboard's web side. `app.create_app` configures the app and registers
one blueprint per audience, each in its own module:
- `auth`: logging in and out, throttled, back to a page of this site only; the language chosen;
- `analytics`: the adoption leads' overview, objections, answers and CSV downloads;
- `variants`: which short answers work (figures per answer variant), and retiring one;
- `conversations`: the trainers' conversations, transcripts and not-understood messages;
- `trainer`: the trainers' knowledge editing, and not-understood messages made training examples;
- `topics`: the trainers' new topics (written to the training data and knowledge files, then a
  guarded retraining) and how-to entries;
- `documents`: the trainers' company documents as sources (upload, cite, remove, versions);
- `admin`: the admins' user management.
Beside them: `tables` (each chart's rows, which are also its CSV), `queries` (the figures,
in SQL), `pulse` (the weekly pulse per team), `grouping` (similar not-understood messages together), `pages` (what the pages
and templates share), `guard` (who is asking, and the role a page needs), `services`
(the store, users and knowledge the views reach), `users` (accounts and roles), `throttle`
(failed logins lock out for a while), `locale` (each page's language: the user's choice, else the
browser's; its texts from the `.po` catalogues) and `server` (the production WSGI server).
"""
