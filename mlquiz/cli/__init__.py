"""The command line: the typer app (``app``), the demo command group (``demo``) and the terminal
rendering of everything the library returns (``render``).

Commands stay thin: parse the options, call one library function, print its result. May import
every other room; nothing imports this one.
"""
