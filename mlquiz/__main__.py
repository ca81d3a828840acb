import sys

try:  # Ctrl-C while the modules are still importing: nothing has been answered yet, so no traceback
    from mlquiz.cli.app import main
except KeyboardInterrupt:
    sys.exit(130)

main()
