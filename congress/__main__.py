"""`python -m congress`: the `congress` command."""

from congress.cli import main

main()
