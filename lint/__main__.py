"""`python -m connlint`: the same entry point as the `connlint` console script."""

from .cli import entry

if __name__ == "__main__":
    entry()
