"""Pure Block Kit builders: plain data in, blocks out."""
