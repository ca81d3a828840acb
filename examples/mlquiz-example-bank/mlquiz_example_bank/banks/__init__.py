"""The bank files (*.yaml) beside this file; the ``mlquiz.banks`` entry point names this package."""
