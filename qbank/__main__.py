from qbank.cli.main import main

main()
