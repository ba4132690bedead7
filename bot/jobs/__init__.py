"""Jobs: a pure fair queue, and the runner that starts, records, recovers and stops jobs."""
