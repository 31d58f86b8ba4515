// The probe libraries need a source; the probe is configured, never built.
