"""Allow ``python -m repair``."""

from repair.cli.main import main

main()
