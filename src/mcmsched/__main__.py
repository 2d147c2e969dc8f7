from mcmsched.cli import main

main()
