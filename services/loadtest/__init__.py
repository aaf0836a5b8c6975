"""End-to-end load generator (`earshot bench`): mentions in, latency and throughput out."""
