from b12check.entry import main

main()
