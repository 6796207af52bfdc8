from smallwins.cli import main

main()
