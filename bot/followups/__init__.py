"""Follow-ups: the coach writes first, only to people who agreed.

schedule    working days and hours in the configured time zone, ISO weeks (COACH_TIMEZONE,
            COACH_WORK_HOURS, COACH_FOLLOWUP_DAYS)
store       the tables (consent, planned messages, pulse scores) and every write to them
planner     what to send whom and when: tip checks, the weekly pulse, refreshers, the weekly cap
dispatcher  sends what is due exactly once, even with several replicas (a claim in the database)
texts       what a follow-up says, from the conversation texts of the knowledge base
door        what the connectors hand over: /nudges on|off, "stop", the follow-ups' buttons, the App Home switch
page        the web chat's follow-ups: what is due waits for the page, which shows it once when it opens
logbook     what the coach wrote first, and the answers' feedback, as bot rows of the adoption log
worker      `python -m bot.followups.worker`: plans and sends, under `make run`
"""
