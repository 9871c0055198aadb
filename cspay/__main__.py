from cspay.cli import main

main()
