from mlquiz.cli.app import main

main()
