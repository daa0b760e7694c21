from b12check.cli import main

main()
