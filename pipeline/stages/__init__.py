"""Pure pipeline stages: typed, synchronous functions over the contracts. No Kafka, no I/O."""
