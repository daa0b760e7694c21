from b12check.cli.entry import main

main()
