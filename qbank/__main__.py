from qbank.cli import main

main()
