"""`python -m congress`: the `congress` command."""

from congress.cli import main

if __name__ == "__main__":
    main()
