"""Weekly digests for managers: figures, chart, narrative and delivery."""
