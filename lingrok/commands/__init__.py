"""One module per `lingrok` command (`lingrok.cli` dispatches): each parses its arguments, calls theory.predict /
numerics.simulate (directly or through lingrok.compare) and renders the result; bad input becomes a UsageError."""
