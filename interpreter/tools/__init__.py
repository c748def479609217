"""Tools on top of the evaluation core: diff, classify, simulate, report, render, schema, golden.

Each evaluates only through the public API (`almen.interpreter.Policy`), never its internals.
"""
