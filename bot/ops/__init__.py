"""Operating Uptake: what each process measures (metrics), its heartbeat, and health checks."""
