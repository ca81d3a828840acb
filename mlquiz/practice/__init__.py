"""Practice: a candidate's sessions, from the first question to the statistics.

``session`` runs the loop; ``grading`` turns what was typed into a verdict; ``scheduler`` decides
when a card comes back (FSRS); ``store`` keeps cards and reviews in SQLite with numbered migrations;
``stats`` summarises them.

May import: ``mlquiz.errors``, ``mlquiz.paths``, ``mlquiz.demokit``, ``mlquiz.content``. Never
``export`` or ``cli``: the session talks to the terminal through a UI object the CLI passes in.
"""
