from qbank.cli.entry import main

main()
