"""What every rule asks about a file instead of walking names itself: scopes, bindings and references,
imports, constants, types of values, calls by qualified name (Go: go.py; Python: python.py).

Each model is built once per parsed file, the first time a rule asks (`GoFile.model`,
`PythonFile.model`), and answers from indexes filled in one pass.
"""
