"""Code only the tests and benchmarks use: the Kafka-from-jars launcher, the throttled store, pytest bounds."""
