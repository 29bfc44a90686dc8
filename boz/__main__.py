from boz.cli import main

main()
