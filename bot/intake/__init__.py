"""Usage that is sent to Uptake rather than pulled: the OpenTelemetry (OTLP/HTTP) intake."""
